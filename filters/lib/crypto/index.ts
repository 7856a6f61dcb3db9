export { Sha256, HmacSha256, SHA256_BYTES, SHA256_BLOCK } from "./sha256";
