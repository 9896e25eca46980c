/**
 * multipart/form-data as the Workers API receives it (script uploads, settings), parsed synchronously: the
 * Cloudflare handlers answer without awaiting, so a write applies without interleaving.
 */

export interface FormPart {
  name: string;
  filename: string | null;
  contentType: string | null;
  content: string;
}

/** The boundary of a multipart Content-Type, or null when the type is something else. */
export function boundaryOf(contentType: string | null): string | null {
  if (!contentType || !/^multipart\/form-data\b/i.test(contentType)) return null;
  const match = /;\s*boundary=("?)([^";]+)\1/i.exec(contentType);
  return match ? match[2] : null;
}

/** The parts of a multipart body; null when it is not well formed. */
export function parseMultipart(text: string, boundary: string): FormPart[] | null {
  const delimiter = `--${boundary}`;
  const chunks = text.split(delimiter);
  if (chunks.length < 2 || !chunks.at(-1)?.startsWith("--")) return null;
  const parts: FormPart[] = [];
  for (const chunk of chunks.slice(1, -1)) {
    // Each part is CRLF, headers, CRLF CRLF, content, CRLF (the CRLF before the next delimiter).
    const body = chunk.replace(/^\r\n/, "").replace(/\r\n$/, "");
    const split = body.indexOf("\r\n\r\n");
    if (split < 0) return null;
    const headers = new Map<string, string>();
    for (const line of body.slice(0, split).split("\r\n")) {
      const colon = line.indexOf(":");
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const disposition = headers.get("content-disposition") ?? "";
    const name = /\bname="([^"]*)"/.exec(disposition)?.[1];
    if (!/^form-data\b/i.test(disposition) || name === undefined) return null;
    parts.push({
      name,
      filename: /\bfilename="([^"]*)"/.exec(disposition)?.[1] ?? null,
      contentType: headers.get("content-type") ?? null,
      content: body.slice(split + 4),
    });
  }
  return parts;
}
