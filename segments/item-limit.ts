// memcached's size of an item, the figure its -I (item_size_max) limits: an
// item is refused as too large when the item header (48 bytes on 64-bit
// builds), the key and its NUL, 4 bytes of client flags when they are
// nonzero, the value and its CRLF, and 8 bytes of CAS unless -C, add up to
// more than -I (memcached 1.6.18 items.c: item_make_header, item_size_ok).
// Both the protocol parsers (a too-large value is refused before it is read)
// and the store (an append whose result would be too large) apply it, so a
// value refused by memcached is refused here too, whatever the protocol.
// Not here: what a record costs in our segments (item-layout.ts) or whether
// it fits one (SegmentStore.valueMax); that is a separate, looser bound.

/** sizeof(item) in memcached on a 64-bit build. */
const MEMCACHED_ITEM_HEADER = 48;

/** memcached's size of an item with this key, client flags and value. */
export function memcachedItemBytes(keyLength: number, flags: number, valueLength: number, casEnabled: boolean): number {
  return MEMCACHED_ITEM_HEADER + keyLength + 1 + (flags === 0 ? 0 : 4) + valueLength + 2 + (casEnabled ? 8 : 0);
}

/** The longest value memcached stores under a key of this length and these flags with -I `itemSizeMax`. */
export function memcachedValueMax(keyLength: number, flags: number, itemSizeMax: number, casEnabled: boolean): number {
  return itemSizeMax - memcachedItemBytes(keyLength, flags, 0, casEnabled);
}
