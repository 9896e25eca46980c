/**
 * Chat phrases about monitoring: incidents, ACK, drift choices, monitoring rules and remediation
 * requests. Pure. A remediation request keeps the words asked for; whether they are allowed is
 * policy's decision (src/plan/remediate.ts), so a refusal always names its reason.
 */
import type { Intent } from "../domain/intent";
import type { Token } from "./lexicon";
import { namedEnvs } from "./slots";

const FIX_VERBS =
  /^(?:please )?(restart|reboot|bounce|scale|disable|pause|drop|truncate|purge|wipe|delete|erase|destroy|patch|hotfix|edit|change the code|run a destructive)\b/;

/** The monitoring intent of a message, or null when it is about something else. */
export function monitoringIntent(tokens: Token[], phrase: string): Intent[] | null {
  const env = namedEnvs(tokens, new Set<number>(), false)[0];
  const ack = /^(?:ack|acknowledge)\s+(\d{4,8})$/.exec(phrase);
  if (ack) return [{ kind: "ack", code: ack[1] }];
  const show = /^(?:show|open|get|what is|whats)?\s*(?:me\s+)?(?:the\s+)?incident\s+(inc_[a-z0-9]+)\b/.exec(phrase);
  if (show) return [{ kind: "incident", id: show[1] }];
  if (/^(?:show |list |any |what are the |whats |open )*(?:the )?(?:open )?incidents\b/.test(phrase))
    return [env ? { kind: "incidents", env } : { kind: "incidents" }];
  const drift = /^(adopt|revert|undo)\b.*\bdrift\b/.exec(phrase);
  if (drift) return env ? [{ kind: "drift", env, choice: drift[1] === "adopt" ? "adopt" : "revert" }] : null;
  if (/\bif\b.*\b(500s?|5xx|errors?)\b.*\bafter (?:a |the |each |every )?deploy/.test(phrase)) {
    const then = /\b(rollback|roll back|restart)\b/.exec(phrase)?.[1]?.replace("roll back", "rollback") ?? "rollback";
    return [
      {
        kind: "monitor-rule",
        env: env ?? "production",
        when: "repeated-5xx-after-deploy",
        then,
        text: phrase.slice(0, 500),
      },
    ];
  }
  const fix = FIX_VERBS.exec(phrase);
  // "remove/drop Redis from staging" is a component change (a reconcile run that asks for approval), not this.
  if (!fix || /^(?:please )?(?:drop|delete) (?:a |the )?(?:redis|postgres|postgresql|storage|s3|minio)\b/.test(phrase))
    return null;
  const verb = fix[1];
  if (!env) return null;
  const service = tokens.find((t) => ["api", "web", "cron", "worker"].includes(t.word))?.word;
  const replicas = /\bto (\d{1,2})(?: replicas?| instances?)?\b/.exec(phrase);
  if (verb === "restart" || verb === "reboot" || verb === "bounce")
    return [{ kind: "remediate", env, action: "restart", ...(service ? { service } : {}) }];
  if (verb === "scale")
    return [
      {
        kind: "remediate",
        env,
        action: "scale",
        ...(service ? { service } : {}),
        ...(replicas ? { replicas: Number(replicas[1]) } : {}),
      },
    ];
  if (verb === "disable" || verb === "pause")
    return /\bcron\b/.test(phrase)
      ? [{ kind: "remediate", env, action: "disable-cron", service: service ?? "cron" }]
      : null;
  // Everything else (drop, purge, patch…) is passed on verbatim so policy can refuse it with the reason.
  return [{ kind: "remediate", env, action: phrase.replace(/\s*\b(?:on|in) (?:the )?\S+$/, "").slice(0, 200) }];
}
