/**
 * A hard cap on request bodies, counted on the stream as it arrives: a Content-Length can be absent
 * (chunked) or lie, so only the bytes actually read are trusted. Past the cap the stream is cancelled
 * and the request answered 413 before any handler parses a byte.
 */
import type { MiddlewareHandler } from "hono";
import { AppError } from "../domain/errors";
import type { AppEnv } from "./auth";

function tooLarge(maxBytes: number): AppError {
  return new AppError("payload_too_large", `bodies are limited to ${maxBytes} bytes`);
}

/** Buffers the body (at most `maxBytes`) so handlers read it as usual; more than that is a 413. */
export function cappedBody(maxBytes: number): MiddlewareHandler<AppEnv> {
  return async function cappedBody(c, next) {
    const declared = Number(c.req.header("content-length") ?? Number.NaN);
    if (declared > maxBytes) throw tooLarge(maxBytes);
    const stream = c.req.raw.body;
    if (!stream) return next();
    const reader = stream.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        throw tooLarge(maxBytes);
      }
      chunks.push(value);
    }
    const body = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      body.set(chunk, offset);
      offset += chunk.byteLength;
    }
    c.req.raw = new Request(c.req.raw, { body });
    await next();
  };
}
