import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";
import * as IMAGES from "./images";

declare module "vitest" {
  export interface ProvidedContext {
    imageServerOrigin: string;
  }
}

const PNG = Buffer.from(IMAGES.PNG);
const JPEG = Buffer.from(IMAGES.JPEG);
const MAX = IMAGES.MAX_IMAGE_BYTES;

/**
 * Images on loopback for the profile picture upload (Node, started by vitest's globalSetup): the
 * Worker fetches them over a real socket, as it would a partner's.
 *   GET /png, /jpeg          the images
 *   GET /big                 a JPEG one byte over 5 MiB, streamed without Content-Length
 *   GET /big-declared        a Content-Length over 5 MiB (the body is never read)
 *   GET /redirect            302 to /png
 *   GET /missing             404
 *   GET /count/<path>        how many times <path> was requested
 */
export default async function setup(project: TestProject) {
  const hits = new Map<string, number>();
  const server = createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0] ?? "";
    if (path.startsWith("/count/")) {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ count: hits.get(path.slice("/count".length)) ?? 0 }));
      return;
    }
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (path === "/png") {
      res.writeHead(200, { "Content-Type": "image/png", "Content-Length": PNG.length }).end(PNG);
    } else if (path === "/jpeg") {
      res.writeHead(200, { "Content-Type": "image/jpeg", "Content-Length": JPEG.length }).end(JPEG);
    } else if (path === "/big") {
      res.writeHead(200, { "Content-Type": "image/jpeg" });
      res.write(JPEG);
      let left = MAX + 1 - JPEG.length;
      const chunk = Buffer.alloc(64 * 1024);
      const pump = () => {
        while (left > 0) {
          const piece = chunk.subarray(0, Math.min(chunk.length, left));
          left -= piece.length;
          if (!res.write(piece)) return void res.once("drain", pump);
        }
        res.end();
      };
      res.on("error", () => {});
      pump();
    } else if (path === "/big-declared") {
      res.writeHead(200, { "Content-Type": "image/jpeg", "Content-Length": MAX + 1 });
      res.write(JPEG);
      // The rest never comes: a client that trusted the length would wait; ours refuses first.
      setTimeout(() => res.destroy(), 2_000);
    } else if (path === "/redirect") {
      res.writeHead(302, { Location: "/png" }).end();
    } else {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("no such image");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  project.provide("imageServerOrigin", `http://127.0.0.1:${port}`);
  return () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
}
