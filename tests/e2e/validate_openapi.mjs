// node validate_openapi.mjs FILE: FILE checked against the OpenAPI 3.1 schema (and its $refs
// resolved) by @apidevtools/swagger-parser; "valid <version> <n> paths <m> webhooks", or the
// reasons and exit 1. Here, beside tests/e2e/node_modules, so that the import resolves.
import SwaggerParser from "@apidevtools/swagger-parser";

try {
  const api = await SwaggerParser.validate(process.argv[2]);
  console.log("valid %s %d paths %d webhooks", api.openapi, Object.keys(api.paths || {}).length,
              Object.keys(api.webhooks || {}).length);
} catch (e) {
  console.log("invalid: %s", e.message);
  process.exit(1);
}
