// Wire constants of memcached's binary protocol: header layout, magic bytes
// and the opcodes memcached 1.6 answers. Shared by the parser, the encoder
// and the responder; no logic here.
//
// Every packet starts with a 24-byte header, all integers big-endian:
//
//   byte   0       1        2..3     4       5         6..7             8..11     12..15   16..23
//        +-------+--------+--------+-------+---------+----------------+---------+--------+-------+
//        | magic | opcode | keylen | extlen| datatype| vbucket/status | bodylen | opaque | cas   |
//        +-------+--------+--------+-------+---------+----------------+---------+--------+-------+
//
// followed by `bodylen` bytes: extras (extlen), key (keylen), value (rest).
// Requests carry a vbucket id in bytes 6..7 (ignored), responses a status.

export const HEADER_BYTES = 24;
export const REQUEST_MAGIC = 0x80;
export const RESPONSE_MAGIC = 0x81;

/** Byte offsets of the header fields. */
export const HDR_MAGIC = 0;
export const HDR_OPCODE = 1;
export const HDR_KEYLEN = 2;
export const HDR_EXTLEN = 4;
export const HDR_DATATYPE = 5;
export const HDR_STATUS = 6;
export const HDR_BODYLEN = 8;
export const HDR_OPAQUE = 12;
export const HDR_CAS = 16;

export const OP_GET = 0x00;
export const OP_SET = 0x01;
export const OP_ADD = 0x02;
export const OP_REPLACE = 0x03;
export const OP_DELETE = 0x04;
export const OP_INCREMENT = 0x05;
export const OP_DECREMENT = 0x06;
export const OP_QUIT = 0x07;
export const OP_FLUSH = 0x08;
export const OP_GETQ = 0x09;
export const OP_NOOP = 0x0a;
export const OP_VERSION = 0x0b;
export const OP_GETK = 0x0c;
export const OP_GETKQ = 0x0d;
export const OP_APPEND = 0x0e;
export const OP_PREPEND = 0x0f;
export const OP_STAT = 0x10;
export const OP_SETQ = 0x11;
export const OP_ADDQ = 0x12;
export const OP_REPLACEQ = 0x13;
export const OP_DELETEQ = 0x14;
export const OP_INCREMENTQ = 0x15;
export const OP_DECREMENTQ = 0x16;
export const OP_QUITQ = 0x17;
export const OP_FLUSHQ = 0x18;
export const OP_APPENDQ = 0x19;
export const OP_PREPENDQ = 0x1a;
export const OP_TOUCH = 0x1c;
export const OP_GAT = 0x1d;
export const OP_GATQ = 0x1e;
export const OP_SASL_LIST_MECHS = 0x20;
export const OP_SASL_AUTH = 0x21;
export const OP_SASL_STEP = 0x22;
export const OP_GATK = 0x23;
export const OP_GATKQ = 0x24;

/** Extras lengths memcached requires per command family. */
export const STORE_EXTRAS = 8; // flags u32, expiration u32
export const ARITH_EXTRAS = 20; // delta u64, initial u64, expiration u32
export const TOUCH_EXTRAS = 4; // expiration u32
export const FLUSH_EXTRAS = 4; // optional expiration u32
export const GET_HIT_EXTRAS = 4; // flags u32 in a get reply

/** memcached refuses SASL mechanism names longer than this (MAX_SASL_MECH_LEN). */
export const MAX_SASL_MECH_BYTES = 32;

/** Increment/decrement expiration meaning "do not create a missing key". */
export const ARITH_NO_CREATE = 0xffffffff;
