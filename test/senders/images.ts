/** The images the loopback image server serves (test/senders/image-server.global-setup.ts). */

const hex = (text: string) => new Uint8Array(text.match(/../g)?.map((b) => Number.parseInt(b, 16)) ?? []);

/** A 1x1 PNG. */
export const PNG = hex(
  "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082",
);

/** The head of a JPEG and filler: the upload checks the signature, not the pixels. */
export const JPEG = new Uint8Array([
  ...hex("ffd8ffe000104a46494600010100000100010000"),
  ...new Array(64).fill(7),
]);

export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;
