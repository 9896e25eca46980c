/**
 * A POSIX ustar writer plus gzip through the Web-standard CompressionStream, so the bootstrap archive
 * is built inside the Worker with no Node APIs and no dependency.
 */

/** A file to put in an archive; `mode` defaults to 0o644. */
export interface ArchiveFile {
  path: string;
  content: string;
  mode?: number;
}

const BLOCK = 512;
const encoder = new TextEncoder();

/** A gzipped ustar archive of `files`, every path under `root/` (e.g. `invoice-perfect-local/`). */
export async function tarGz(files: ArchiveFile[], options: { root: string; mtime?: Date }): Promise<Uint8Array> {
  return gzip(tar(files, options));
}

/** An uncompressed ustar archive: a header and padded content per file, then two zero blocks. */
export function tar(files: ArchiveFile[], options: { root: string; mtime?: Date }): Uint8Array {
  const root = options.root.replace(/\/+$/, "");
  // A fixed default keeps archives of the same files byte-identical; callers pass the generation time.
  const mtime = Math.floor((options.mtime?.getTime() ?? 0) / 1000);
  const parts: Uint8Array[] = [];
  for (const file of files) {
    const body = encoder.encode(file.content);
    parts.push(header(`${root}/${file.path}`, { size: body.length, mode: file.mode ?? 0o644, mtime }));
    parts.push(body, new Uint8Array(padding(body.length)));
  }
  parts.push(new Uint8Array(BLOCK * 2));
  return concat(parts);
}

/** The 512-byte ustar header of a regular file. */
function header(path: string, meta: { size: number; mode: number; mtime: number }): Uint8Array {
  if (path.split("/").some((seg) => seg === ".." || seg === ""))
    throw new Error(`archive path "${path}" is not a plain relative path`);
  const { prefix, name } = splitPath(path);
  const h = new Uint8Array(BLOCK);
  writeString(h, 0, 100, name);
  writeOctal(h, 100, 8, meta.mode);
  writeOctal(h, 108, 8, 0); // uid
  writeOctal(h, 116, 8, 0); // gid
  writeOctal(h, 124, 12, meta.size);
  writeOctal(h, 136, 12, meta.mtime);
  h.fill(0x20, 148, 156); // the checksum is computed with its own field as spaces
  h[156] = 0x30; // typeflag '0': regular file
  writeString(h, 257, 6, "ustar"); // magic "ustar\0"
  writeString(h, 263, 2, "00");
  writeString(h, 345, 155, prefix);
  const sum = h.reduce((acc, b) => acc + b, 0);
  // Six octal digits, NUL, space: the layout GNU tar and bsdtar write.
  writeString(h, 148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return h;
}

/** Splits a path into ustar's 155-byte prefix and 100-byte name at a slash. */
function splitPath(path: string): { prefix: string; name: string } {
  if (encoder.encode(path).length <= 100) return { prefix: "", name: path };
  for (let i = path.indexOf("/"); i !== -1; i = path.indexOf("/", i + 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (encoder.encode(prefix).length <= 155 && encoder.encode(name).length <= 100) return { prefix, name };
  }
  throw new Error(`archive path too long for ustar: ${path}`);
}

function writeString(h: Uint8Array, offset: number, length: number, value: string): void {
  const bytes = encoder.encode(value);
  if (bytes.length > length) throw new Error(`tar field overflow: "${value}" > ${length} bytes`);
  h.set(bytes, offset);
}

function writeOctal(h: Uint8Array, offset: number, length: number, value: number): void {
  const digits = value.toString(8);
  // length - 1 digits and a NUL terminator; 11 octal digits cap a file at 8 GiB, far beyond ours.
  if (digits.length > length - 1) throw new Error(`tar numeric field overflow: ${value}`);
  writeString(h, offset, length, `${digits.padStart(length - 1, "0")}\0`);
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

async function gzip(data: Uint8Array): Promise<Uint8Array> {
  // slice(): a Blob part must be backed by a plain ArrayBuffer (Node's lib types insist; workerd doesn't care).
  const stream = new Blob([data.slice()]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
