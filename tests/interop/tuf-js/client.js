// Independent TUF client for Fleetward's interop tests: tuf-js refreshes metadata and downloads one target.
// Usage: node client.js METADATA_DIR METADATA_URL TARGET_URL TARGET_DIR TARGET_NAME
// METADATA_DIR must hold the trusted root.json. Exit code 0 when the target verified, 1 otherwise.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { Updater } = require('tuf-js');

async function main() {
  const [metadataDir, metadataBaseUrl, targetBaseUrl, targetDir, targetName] = process.argv.slice(2);
  if (!targetName) throw new Error('usage: client.js METADATA_DIR METADATA_URL TARGET_URL TARGET_DIR TARGET_NAME');
  const updater = new Updater({ metadataDir, metadataBaseUrl, targetDir, targetBaseUrl, config: { fetchRetry: 0 } });
  fs.mkdirSync(targetDir, { recursive: true });
  await updater.refresh();
  const info = await updater.getTargetInfo(targetName);
  if (!info) throw new Error(`target ${targetName} not found`);
  const file = await updater.downloadTarget(info, path.join(targetDir, encodeURIComponent(targetName)));
  console.log(JSON.stringify({ file, length: info.length, custom: info.custom }));
}

main().catch((error) => {
  console.error(`refused: ${error.name}: ${error.message}`);
  process.exit(1);
});
