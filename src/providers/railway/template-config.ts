/**
 * A template's serializedConfig made ready to deploy, as Railway's CLI makes it (`railway deploy -t`,
 * src/commands/deploy.rs): every variable without a value gets its non-empty `defaultValue` — generated
 * secrets like `${{secret(32)}}` included, which Railway expands once at deploy time. Sent back unfilled,
 * a template's password can end up empty. The rest of the config goes back as Railway sent it.
 */

/** A variable the CLI would have asked a person for: required, and with neither a value nor a default. */
export interface UnfilledVariable {
  service: string;
  name: string;
}

/** Railway's template function for a random secret of that many characters. */
const GENERATED_SECRET = "${{secret(32)}}";
/** Names whose value is a credential: one nobody gave may be generated, never left empty. */
const CREDENTIAL = /PASSWORD|SECRET|TOKEN|_KEY$|^KEY$/;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const filled = (v: unknown): v is string => typeof v === "string" && v.length > 0;

/**
 * Fills each variable's `value` from its `defaultValue`; a required credential with neither gets a generated
 * secret. Returns the config (a copy) and the required variables still without a value.
 */
export function fillTemplateDefaults(serializedConfig: unknown): { config: unknown; unfilled: UnfilledVariable[] } {
  const config = structuredClone(serializedConfig);
  const unfilled: UnfilledVariable[] = [];
  const services = isObject(config) && isObject(config.services) ? config.services : {};
  for (const service of Object.values(services)) {
    if (!isObject(service) || !isObject(service.variables)) continue;
    const serviceName = typeof service.name === "string" ? service.name : "?";
    for (const [name, variable] of Object.entries(service.variables)) {
      if (!isObject(variable) || filled(variable.value)) continue;
      if (filled(variable.defaultValue)) variable.value = variable.defaultValue;
      else if (variable.isOptional === true) continue;
      else if (CREDENTIAL.test(name)) variable.value = GENERATED_SECRET;
      else unfilled.push({ service: serviceName, name });
    }
  }
  return { config, unfilled };
}
