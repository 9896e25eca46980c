/**
 * Code entry's guard: six-digit codes (approvals, ACKs, SMS confirmations) can be guessed if nobody
 * counts, so every wrong one counts against the phone it came from and the user behind it. Five in
 * fifteen minutes lock both out of code entry for fifteen minutes; the lock is audited and every admin
 * with a phone is texted, since a guessing phone is either lost or someone else's.
 */
import { adminPhones } from "../db/alerts";
import { lockedUntil, lockSenders, recordFailure } from "../db/codes";
import { errorText } from "../domain/errors";
import { isoAt } from "../domain/time";
import { sendTexts } from "../notify/texts";
import { CODE_LOCKOUT } from "../policy/approval";
import type { Receipt } from "../providers/types";
import { recordGlobal } from "./audit";
import type { ControlContext } from "./context";

/** Who typed a code: the user always, and the phone when it came by SMS. */
export interface CodeSender {
  userId: string;
  name: string;
  phone?: string;
}

function senderKeys(sender: CodeSender): string[] {
  return [`user:${sender.userId}`, ...(sender.phone ? [`phone:${sender.phone}`] : [])];
}

const clock = (iso: string) => `${iso.slice(11, 16)} UTC`;

/** The reply when this sender may not enter codes now, else null. */
export async function codeEntryLocked(cx: ControlContext, sender: CodeSender): Promise<string | null> {
  const until = await lockedUntil(cx.db, senderKeys(sender), isoAt(cx.now()));
  return until
    ? `Code entry is locked until ${clock(until)} after ${CODE_LOCKOUT.maxFailures} wrong codes; nothing was done.`
    : null;
}

/**
 * Counts a wrong code. Returns the reply: how many tries are left, or — at the limit — that code entry is
 * now locked (after the lock is stored, audited and the admins are texted).
 */
export async function wrongCode(cx: ControlContext, sender: CodeSender, refusal: string): Promise<string> {
  const now = cx.now();
  const keys = senderKeys(sender);
  const counts = await recordFailure(cx.db, keys, isoAt(now), isoAt(now - CODE_LOCKOUT.windowMs));
  const failures = Math.max(...counts.values());
  if (failures < CODE_LOCKOUT.maxFailures) {
    const left = CODE_LOCKOUT.maxFailures - failures;
    return `${refusal} (${left} more wrong code${left === 1 ? "" : "s"} lock code entry for ${CODE_LOCKOUT.lockMs / 60_000} minutes.)`;
  }
  const until = isoAt(now + CODE_LOCKOUT.lockMs);
  await lockSenders(cx.db, keys, isoAt(now), until);
  const texted = await textAdmins(
    cx,
    `Infra Chat: code entry locked until ${clock(until)} for ${sender.name}${sender.phone ? ` (${sender.phone})` : ""} after ${failures} wrong codes in ${CODE_LOCKOUT.windowMs / 60_000} minutes. If that was not them, revoke their phone and tokens.`,
  );
  await recordGlobal(cx, [
    {
      actor: "infra-chat",
      action: "codes.locked",
      diffSummary: `${failures} wrong codes from ${sender.phone ? "phone and user" : "user"} ${sender.userId}`,
      ...(texted.receipts.length ? { receiptHash: texted.receipts.map((r) => r.requestHash).join(",") } : {}),
      // The user, not the number: viewers read the audit log, and phones are not theirs to see.
      details: { userId: sender.userId, bySms: !!sender.phone, failures, until, adminsTexted: texted.sent },
    },
  ]);
  return `${refusal} That was ${failures} wrong codes in ${CODE_LOCKOUT.windowMs / 60_000} minutes: code entry is locked until ${clock(until)}, and the admins have been told.`;
}

async function textAdmins(cx: ControlContext, body: string): Promise<{ sent: number; receipts: Receipt[] }> {
  const receipts: Receipt[] = [];
  try {
    const { sms } = cx.providers({ onReceipt: (r) => receipts.push(r), redact: await cx.redactor() });
    const phones = await adminPhones(cx.db);
    return {
      sent: (
        await sendTexts(
          sms,
          phones.map((to) => ({ to, body })),
        )
      ).length,
      receipts,
    };
  } catch (e) {
    // The lock holds whether or not the texts go out.
    console.error("lockout texts failed", errorText(e));
    return { sent: 0, receipts };
  }
}
