/**
 * Requests refused before anything is read into them: destructive ones (data, tables, databases,
 * environments), negated ones ("don't deploy prod"), ones for later ("deploy prod at 5pm") and requests
 * to show a secret's value. A refusal names its reason, never the words that carried it.
 */
import type { Word } from "./text";

/** Why a message is refused before anything is planned. */
export type RefusalReason =
  | "destructive"
  | "code-change"
  | "negated"
  | "scheduled"
  | "secret-value"
  | "out-of-range"
  | "unknown-service"
  | "invalid";

const DESTRUCTIVE_VERB = /\b(?:drop|delete|truncate|purge|wipe|erase|destroy|nuke|obliterate|flush|reset|rm)\b/;
const DATA_NOUN =
  /\b(?:tables?|databases?|dbs?|data|users?|rows?|records?|invoices?|customers?|sessions?|accounts?|orders?|payments?|backups?|buckets?|everything|all|environments?|envs?|project|cluster|volumes?|disks?|logs?)\b/;
const COMPONENT_EDIT =
  /\b(?:drop|delete|remove)\b (?:the |a )?(?:redis|postgres|postgresql|storage|s3|minio|object storage|cache)\b.*\bfrom\b/;
/** "patch the code on production", "edit the app", "hotfix the bug in prod": code is changed by a push, not by chat. */
const CODE_CHANGE =
  /^(?:please |can you |could you )?(?:patch|edit|modify|change|rewrite|hotfix|hot-fix|fix)\b(?!.*\b(?:config|variable|var|env var|setting|policy|auto-?apply|canary)\b).*\b(?:code|source|app code|bug|file|files|function|line)\b/;
const NEGATIONS = /\b(?:dont|do not|not|never|doesnt|didnt|shouldnt|wont|cant|cannot|no need to)\b/;
const SCHEDULED =
  /\b(?:\d{1,2}(?::\d{2})? ?(?:am|pm)|\d{1,2}:\d{2}|tomorrow|tonight|midnight|noon|later today|later|next week|this evening|in an hour|in \d+ (?:minutes|hours)|after lunch|end of day|eod)\b/;
const SECRET_VALUE =
  /\b(?:show|print|reveal|display|give|tell|read|cat|echo|dump|what is|whats|send|paste)\b.*\b(?:key|secret|password|token|credential|credentials|value|dsn)\b/;

/** The reason to refuse the whole message, or null. */
export function refusalOf(phrase: string, words: readonly Word[]): RefusalReason | null {
  if (/\brm\s+-?r?f?r?\b|\bdelete from\b|\bdrop (?:table|database|schema)\b|\btruncate\b/.test(phrase))
    return "destructive";
  if (CODE_CHANGE.test(phrase)) return "code-change";
  const passwordReset = /\bpassword reset\b|\breset (?:my |the |a |their )?password\b/.test(phrase);
  if (
    DESTRUCTIVE_VERB.test(phrase) &&
    (DATA_NOUN.test(phrase) || words.some((w) => w.env)) &&
    !COMPONENT_EDIT.test(phrase) &&
    !passwordReset
  )
    return "destructive";
  if (SECRET_VALUE.test(phrase) && !/\bsecrets\b|\bnames?\b|\brotate\b|__secret/.test(phrase)) return "secret-value";
  if (
    NEGATIONS.test(phrase) &&
    /\b(?:deploy|ship|push|rollback|roll|revert|migrat\w*|backfill|restart|scale|apply|approve|promote)\b/.test(phrase)
  )
    return "negated";
  const acts = /\b(?:deploy|ship|push|release|rollback|roll|revert|migrat\w*|backfill|restart|provision|set up)\b/.test(
    phrase,
  );
  if (acts && SCHEDULED.test(phrase) && !/\b(?:since|who|what|did|was|were|audit|runs|ran|failed)\b/.test(phrase))
    return "scheduled";
  return null;
}
