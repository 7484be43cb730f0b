// Merge eviction's pieces in isolation: the rank of an item (frequency per
// byte, log scale), the aging of read counters, the byte histogram's cut and
// the heap turnover estimate.

import t from 'tap';
import { RANKS, RankHistogram, agedFrequency, rankOf } from '../../segments/merge-ranking.js';
import { HeapTurnover } from '../../segments/heap-turnover.js';

t.test('rank: 0 when never read, then up with frequency and down with size', async (t) => {
  t.equal(rankOf(0, 100, 100), 0);
  const one = rankOf(1, 100, 100);
  t.ok(one > 0);
  t.equal(rankOf(2, 100, 100), one + 8, 'twice the reads: one octave up');
  t.equal(rankOf(2, 200, 100), one, 'twice the reads at twice the size: the same');
  t.ok(rankOf(1, 101, 100) < one, 'a little larger ranks lower');
  t.ok(rankOf(127, 100, 100) > rankOf(100, 100, 100));
  t.equal(rankOf(1, 1e12, 1), 1, 'a read item never ranks as unread');
  t.equal(rankOf(127, 1, 1e12), RANKS - 1, 'clamped at the top');
});

t.test('aging halves the counter of an item idle past the horizon', async (t) => {
  t.equal(agedFrequency(40, 10, 10), 40);
  t.equal(agedFrequency(40, 11, 10), 20);
  t.equal(agedFrequency(1, 11, 10), 0);
  t.equal(agedFrequency(40, 60_000, Infinity), 40, 'no horizon yet: no aging');
});

t.test('the cut keeps the highest ranks that fit the room', async (t) => {
  const h = new RankHistogram();
  h.add(0, 300);
  h.add(5, 200);
  h.add(5, 100);
  h.add(9, 250);
  t.equal(h.bytesAbove(0), 550);
  t.equal(h.bytesAbove(5), 250);

  h.cut(1000);
  t.same([h.cutRank, h.cutDropBytes], [0, 0], 'everything fits');
  h.cut(550);
  t.same([h.cutRank, h.cutDropBytes], [0, 300], 'all unread bytes go');
  h.cut(400);
  t.same([h.cutRank, h.cutDropBytes], [5, 150], 'rank 9 kept, 150 of rank 5 kept, the rest dropped');
  h.cut(100);
  t.same([h.cutRank, h.cutDropBytes], [9, 150]);
  h.cut(0);
  t.same([h.cutRank, h.cutDropBytes], [9, 250], 'no room: the top rank is dropped too');

  h.clear();
  t.equal(h.bytesAbove(0), 0);
  h.cut(0);
  t.same([h.cutRank, h.cutDropBytes], [0, 0], 'an empty run drops nothing');
});

t.test('heap turnover: unknown until a window closes, then seconds per segment x segments', async (t) => {
  const turnover = new HeapTurnover();
  t.equal(turnover.seconds(100), Infinity);
  turnover.freed(1000, 2);
  turnover.freed(1005, 3);
  t.equal(turnover.seconds(100), Infinity, 'window still open');
  turnover.freed(1010, 5);
  t.equal(turnover.seconds(100), 100, '10 s for 10 segments: 1 s each, 100 s for 100');
  // Slower for the next window: smoothed halfway.
  turnover.freed(1030, 5);
  t.equal(turnover.seconds(100), 250, 'between 100 and 400');
});
