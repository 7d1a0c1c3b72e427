// Validates an OpenAPI document against the OpenAPI 3.0 schema and its
// rules (references resolve, operation ids are unique, path parameters
// are declared). Usage: node validate-openapi.mjs URL
import SwaggerParser from "@apidevtools/swagger-parser";

const url = process.argv[2];
const res = await fetch(url, { headers: { Accept: "application/vnd.oai.openapi+json;version=3.0" } });
if (!res.ok) {
  console.error(`GET ${url}: ${res.status}`);
  process.exit(1);
}
const doc = await res.json();
try {
  const api = await SwaggerParser.validate(doc);
  console.log(`valid: ${api.info.title} ${api.info.version}, ${Object.keys(api.paths).length} paths`);
} catch (err) {
  console.error(`invalid OpenAPI document: ${err.message}`);
  process.exit(1);
}
