/** Test helper shared by the workers and node projects: Stripe's form encoding read back into an object. */
export type FormValue = string | string[] | Record<string, string>;

/** Form body → object, `a[]=` pairs becoming arrays and `m[k]=` pairs maps (how Stripe reads them). */
export function decodeStripeForm(body: string): Record<string, FormValue> {
  const out: Record<string, FormValue> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const bracket = /^([^[]+)\[([^\]]*)\]$/.exec(key);
    if (!bracket) out[key] = value;
    else if (bracket[2] === "") out[bracket[1]] = [...((out[bracket[1]] as string[] | undefined) ?? []), value];
    else out[bracket[1]] = { ...((out[bracket[1]] as Record<string, string> | undefined) ?? {}), [bracket[2]]: value };
  }
  return out;
}
