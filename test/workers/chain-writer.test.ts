import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ChainWriter, sealWith } from "../../src/audit/chain-writer";
import { d1ChainStore } from "../../src/db/audit";
import { database } from "../../src/db/client";
import type { Statement } from "../../src/db/client";
import { verifyAudit } from "../../src/db/audit";
import { newId } from "../../src/domain/ids";

const db = () => database(env.DB);
const writerOn = (chain: string, store = d1ChainStore(db())) => {
  const writer = new ChainWriter<Statement>(
    store,
    sealWith(() => newId("evt"), Date.now),
  );
  writer.bind(chain);
  return writer;
};

describe("audit chain writer", () => {
  it("keeps a gapless, verifiable sequence when appends are issued concurrently", async () => {
    const writer = writerOn("chain_concurrent");
    const appended = await Promise.all(
      Array.from({ length: 12 }, (_, i) => writer.append([{ actor: "t", action: `a.${i}` }])),
    );
    expect(appended.flat().map((e) => e.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(await verifyAudit(db(), "chain_concurrent")).toEqual({ ok: true, events: 12 });
  });

  it("continues from the stored head after a commit that failed, so the chain never skips or forks", async () => {
    const real = d1ChainStore(db());
    let failNext = false;
    const writer = writerOn("chain_failing", {
      head: real.head,
      async commit(writes, events) {
        if (failNext) {
          failNext = false;
          throw new Error("D1 unavailable");
        }
        await real.commit(writes, events);
      },
    });
    await writer.append([{ actor: "t", action: "first" }]);
    failNext = true;
    await expect(writer.append([{ actor: "t", action: "lost" }])).rejects.toThrow("D1 unavailable");
    const [after] = await writer.append([{ actor: "t", action: "after" }]);
    expect(after.seq).toBe(2);
    expect(await verifyAudit(db(), "chain_failing")).toEqual({ ok: true, events: 2 });
  });

  it("refuses a second chain: one writer per chain, one chain per writer", () => {
    const writer = writerOn("chain_one");
    expect(() => writer.bind("chain_one")).not.toThrow();
    expect(() => writer.bind("chain_two")).toThrow(/writes chain chain_one/);
  });
});
