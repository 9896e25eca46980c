/**
 * The project stands on its own: every relative link in README.md and docs/ resolves to a file (and heading)
 * inside the repository, so a clone anywhere has everything its documents point to. (docs/reference.md being
 * current is test/workers/docs.test.ts's job: it needs the Worker's code.)
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(__dirname, "../..");
const DOCUMENTS = [
  "README.md",
  ...readdirSync(join(ROOT, "docs")).flatMap((f) => (f.endsWith(".md") ? [`docs/${f}`] : [])),
];

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const [, heading] of withoutCode(markdown).matchAll(/^#{1,6} +(.+?) *#*$/gm)) {
    const base = heading
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/ /g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

function withoutCode(markdown: string): string {
  return markdown.replace(/```[\s\S]*?```/g, "");
}

/** Markdown links and images outside code: `[text](target)`. */
function linksOf(markdown: string): string[] {
  const prose = withoutCode(markdown).replace(/`[^`\n]*`/g, "");
  return [...prose.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]);
}

/** What is wrong with the links of one document (at `document`, relative to the repository root). */
function linkProblems(document: string, markdown: string): string[] {
  const problems: string[] = [];
  for (const link of linksOf(markdown)) {
    // Web pages are not part of a clone either way; everything else must be a file in it.
    if (/^(https?|mailto):/.test(link)) continue;
    if (/^[a-z][a-z0-9+.-]*:/i.test(link) || link.startsWith("/")) {
      problems.push(`${document}: ${link} is not a relative link`);
      continue;
    }
    const [path, anchor] = link.split("#");
    const target = path ? resolve(ROOT, dirname(document), decodeURIComponent(path)) : join(ROOT, document);
    if (relative(ROOT, target).startsWith("..")) {
      problems.push(`${document}: ${link} points outside the repository`);
      continue;
    }
    if (!existsSync(target)) {
      problems.push(`${document}: ${link} does not exist`);
      continue;
    }
    const text =
      target === join(ROOT, document) ? markdown : statSync(target).isFile() ? readFileSync(target, "utf8") : "";
    if (anchor && target.endsWith(".md") && !anchorsOf(text).has(anchor))
      problems.push(`${document}: ${link} has no such heading`);
  }
  return problems;
}

describe("README.md and docs/", () => {
  it("link only to files and headings inside the repository", () => {
    expect(DOCUMENTS).toContain("docs/architecture.md");
    const problems = DOCUMENTS.flatMap((d) => linkProblems(d, readFileSync(join(ROOT, d), "utf8")));
    expect(problems).toEqual([]);
  });

  it("the check catches a link out of the repository, a missing file, a missing heading and an absolute path", () => {
    const markdown = [
      "# Title",
      "Design: [architecture](../shared/ARCHITECTURE.md) · [gone](docs/gone.md) · [here](#title) · [not here](#nope)",
      "[heading elsewhere](docs/sandbox.md#faults) · [no such heading](docs/sandbox.md#nope) · [abs](/etc/passwd)",
      "`[in code](../not-a-link.md)` and [the web](https://developers.cloudflare.com/)",
    ].join("\n");
    expect(linkProblems("README.md", markdown)).toEqual([
      "README.md: ../shared/ARCHITECTURE.md points outside the repository",
      "README.md: docs/gone.md does not exist",
      "README.md: #nope has no such heading",
      "README.md: docs/sandbox.md#nope has no such heading",
      "README.md: /etc/passwd is not a relative link",
    ]);
    expect(anchorsOf('## Backfills: what "verified" means\n## Tests\n## Tests')).toEqual(
      new Set(["backfills-what-verified-means", "tests", "tests-1"]),
    );
  });
});
