/** Stripe's form encoding read back: `a[]=` pairs become arrays, `m[k]=` pairs maps (stripe.md "Keys, auth, versioning"). */
export type FormValue = string | string[] | Record<string, string>;

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
