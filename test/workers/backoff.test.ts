import { describe, expect, it } from "vitest";
import { fullJitterDelay } from "../../src/domain/backoff";

describe("full-jitter backoff", () => {
  it("draws below base·2^(attempt-1), never above the cap, and refuses settings that make no sense", () => {
    const highest = () => 0.999_999;
    expect(fullJitterDelay(1, 250, 4000, highest)).toBe(249);
    expect(fullJitterDelay(3, 250, 4000, highest)).toBe(999);
    expect(fullJitterDelay(20, 250, 4000, highest)).toBe(3999);
    expect(fullJitterDelay(5, 250, 4000, () => 0)).toBe(0);
    expect(() => fullJitterDelay(0, 250, 4000)).toThrow(RangeError);
    expect(() => fullJitterDelay(1.5, 250, 4000)).toThrow(RangeError);
    expect(() => fullJitterDelay(1, 0, 4000)).toThrow(RangeError);
    expect(() => fullJitterDelay(1, 500, 400)).toThrow(RangeError);
  });
});
