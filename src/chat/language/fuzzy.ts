/** Edit distance and closest-name matching for typed names ("stagign", "prdo", "timzone"). */

/** Optimal-string-alignment distance (a swap of two neighbours counts once), capped at limit + 1. */
export function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2] + 1);
      row.push(d);
      rowMin = Math.min(rowMin, d);
    }
    if (rowMin > limit) return limit + 1;
    [prev2, prev] = [prev, row];
  }
  return prev[b.length];
}

/**
 * How many edits a typed word may be from a name and still mean it: none below 4 letters (too many short
 * words are one edit apart), one up to 7, two from 8.
 */
export function typoLimit(length: number): number {
  return length < 4 ? 0 : length < 8 ? 1 : 2;
}

/**
 * The one name a typo most likely meant (first letters equal: typos rarely hit the first), or undefined
 * when none is close enough or two different names are equally close.
 */
export function closestName(word: string, names: Iterable<string>, limit = typoLimit(word.length)): string | undefined {
  let best: string | undefined;
  let bestDistance = limit + 1;
  let tied = false;
  for (const name of names) {
    if (name[0] !== word[0]) continue;
    const d = editDistance(word, name, limit);
    if (d < bestDistance) [best, bestDistance, tied] = [name, d, false];
    else if (d === bestDistance && d <= limit && name !== best) tied = true;
  }
  return tied || bestDistance > limit ? undefined : best;
}

/** Names near a word that matched nothing, nearest first, for "did you mean …?" (looser than a typo). */
export function nearNames(word: string, names: readonly string[], max = 2): string[] {
  const limit = Math.max(1, Math.floor(word.length / 3));
  return names
    .map((name) => ({ name, d: Math.min(editDistance(word, name, limit), prefixDistance(word, name)) }))
    .filter((c) => c.d <= limit)
    .sort((a, b) => a.d - b.d)
    .slice(0, max)
    .map((c) => c.name);
}

/** "qa2" is one step from "qa": a name that is the word with a suffix or prefix added counts as near. */
function prefixDistance(word: string, name: string): number {
  if (word.startsWith(name) || name.startsWith(word)) return Math.abs(word.length - name.length);
  return Number.POSITIVE_INFINITY;
}
