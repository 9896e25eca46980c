/**
 * From a (secret-free) message to classified words: normalization, tokens, names recognized against the
 * context (environments, services, with aliases and typos), keyword typos corrected, and the message cut
 * into clauses at the points where a new request starts ("deploy staging, then prod").
 */
import type { LanguageContext } from "./context";
import { closestName, typoLimit } from "./fuzzy";
import { ENV_ALIASES, FILLER, GRAMMAR_WORDS, SERVICE_ALIASES, TYPO_TARGETS } from "./vocabulary";

export interface Word {
  /** as typed (refs, codes and secret names are case-sensitive) */
  raw: string;
  /** lower case, with a keyword typo corrected ("deplyo" → "deploy") */
  lower: string;
  /** the environment this word names ("prod" → production; "invoice-perfect:stg" → staging) */
  env?: string;
  /** the service this word names ("frontend" → web) */
  service?: string;
  /** punctuation that may end a clause: "," ";" "." "?" */
  punct?: string;
}

const CONTRACTIONS = new Set(["whats", "hows", "thats", "its", "lets", "heres", "theres", "whos", "wheres"]);
const TOKEN = /[\p{L}\p{N}_+#][\p{L}\p{N}_.:/%+#!$*&^~-]*|[;,@?&]|\.(?=\s|$)/gu;

/** Normalizes and splits a message into words classified against the context. */
export function readWords(text: string, context: LanguageContext): Word[] {
  const normalized = text
    .normalize("NFKC")
    // A leading mention of the bot ("@infra-chat deploy staging", "infrachat: …") addresses it; it asks nothing.
    .replace(/^\s*(?:@[\w.-]+|(?:infra-?chat|hubot|bot)\s*[:,])\s*/i, "")
    .replace(/[‘’`´]/g, "'")
    .replace(/\s*(?:->|→|=>|⇒|>)\s*/g, " then ")
    .replace(/\b(\w+)'s\b/g, (_m, w: string) => (CONTRACTIONS.has(`${w.toLowerCase()}s`) ? `${w}s` : w))
    .replace(/'/g, "");
  const words: Word[] = [];
  for (const piece of normalized.match(TOKEN) ?? []) {
    if (/^[;,.?]$/.test(piece)) {
      words.push({ raw: piece, lower: piece, punct: piece });
      continue;
    }
    const raw = piece === "@" || /^__secret\d+__$/.test(piece) ? piece : piece.replace(/[._:/!-]+$/, "");
    if (raw) words.push(classify(raw, context));
  }
  return words;
}

function classify(raw: string, context: LanguageContext): Word {
  const lower = raw.toLowerCase();
  const word: Word = { raw, lower };
  const env = envNamed(lower, context);
  if (env) return { ...word, env };
  const service = serviceNamed(lower, context);
  if (service) return { ...word, service };
  if (isKnown(lower)) return word;
  const keyword = /^[a-z]+$/.test(lower) && lower.length >= 5 ? closestName(lower, TYPO_TARGETS) : undefined;
  if (keyword) {
    const corrected = envNamed(keyword, context);
    return corrected ? { ...word, env: corrected } : { ...word, lower: keyword };
  }
  return word;
}

/** Words the layer knows as they are: never corrected, never quoted back as not understood. */
export function isKnown(lower: string): boolean {
  return FILLER.has(lower) || GRAMMAR_WORDS.has(lower) || TYPO_TARGETS.includes(lower);
}

/** The environment a word names: exact, alias, project-qualified, or one typo away from one of those. */
export function envNamed(lower: string, context: LanguageContext): string | undefined {
  const qualified = /^([a-z][a-z0-9-]*):([a-z][a-z0-9-]*)$/.exec(lower);
  if (qualified) return qualified[1] === context.project ? envNamed(qualified[2], context) : undefined;
  if (context.envs.includes(lower)) return lower;
  const alias = Object.hasOwn(ENV_ALIASES, lower) ? ENV_ALIASES[lower] : undefined;
  if (alias && context.envs.includes(alias)) return alias;
  if (isKnown(lower) || !/^[a-z][a-z0-9-]*$/.test(lower) || lower.length < 4) return undefined;
  const spellings = [...context.envs, ...Object.keys(ENV_ALIASES).filter((a) => context.envs.includes(ENV_ALIASES[a]))];
  const typo = closestName(lower, spellings, typoLimit(lower.length));
  if (!typo) return undefined;
  return context.envs.includes(typo) ? typo : ENV_ALIASES[typo];
}

/** The service a word names: exact, alias ("frontend" → web), or a typo of a name of 4+ letters. */
export function serviceNamed(lower: string, context: LanguageContext): string | undefined {
  if (context.services.includes(lower)) return lower;
  const alias = Object.hasOwn(SERVICE_ALIASES, lower) ? SERVICE_ALIASES[lower] : undefined;
  if (alias && context.services.includes(alias)) return alias;
  if (isKnown(lower) || lower.length < 4) return undefined;
  return closestName(
    lower,
    context.services.filter((s) => s.length >= 4),
  );
}

/** The words of a clause joined as one lower-case phrase (what the grammar's patterns read). */
export function phraseOf(words: readonly Word[]): string {
  return words
    .filter((w) => !w.punct)
    .map((w) => w.lower)
    .join(" ");
}
