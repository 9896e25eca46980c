/** Relay connections (`edges { cursor node }`, `pageInfo`) over in-memory lists, as Railway paginates. */
import type { ConnectionArgs } from "./context";

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

// Cursors are opaque to clients; the node id base64-encoded keeps them stable across inserts.
function cursorOf(id: string): string {
  return btoa(`cursor:${id}`);
}

/** Slices `nodes` by first/after/last/before; an unknown cursor yields an empty page, never a wrong one. */
export function toConnection<T extends { id: string }>(nodes: T[], args: ConnectionArgs = {}): Connection<T> {
  let start = 0;
  let end = nodes.length;
  if (args.after) {
    const i = nodes.findIndex((n) => cursorOf(n.id) === args.after);
    start = i < 0 ? nodes.length : i + 1;
  }
  if (args.before) {
    const i = nodes.findIndex((n) => cursorOf(n.id) === args.before);
    end = i < 0 ? start : Math.max(start, i);
  }
  let page = nodes.slice(start, end);
  if (args.first != null && args.first >= 0) page = page.slice(0, args.first);
  if (args.last != null && args.last >= 0) page = page.slice(Math.max(0, page.length - args.last));
  const firstIndex = page.length ? nodes.indexOf(page[0]) : start;
  const lastIndex = firstIndex + page.length;
  return {
    edges: page.map((node) => ({ cursor: cursorOf(node.id), node })),
    pageInfo: {
      hasNextPage: lastIndex < nodes.length,
      hasPreviousPage: firstIndex > 0,
      startCursor: page.length ? cursorOf(page[0].id) : null,
      endCursor: page.length ? cursorOf(page[page.length - 1].id) : null,
    },
  };
}
