// Builds and signs a small TUF repository with @tufjs/models, for Fleetward's client to verify.
// Usage: node build-repo.js OUT_DIR [valid|expired|delegated|rsa]
// Writes OUT_DIR/metadata/{1.root.json,root.json,timestamp.json,1.snapshot.json,1.targets.json} and
// OUT_DIR/targets/<sha256>.app.bin (consistent snapshots). Keys: ed25519 root/timestamp/snapshot, ecdsa P-256 targets.
// "delegated" adds a terminating delegation from targets to a "security" role (paths security/*, its own ed25519 key)
// listing security/patch.bin, written as 1.security.json and targets/security/<sha256>.patch.bin.
// "rsa" signs targets with an RSA-3072 rsassa-pss-sha256 key (salt length = digest length, as securesystemslib signs).
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { canonicalize } = require('@tufjs/canonical-json');
const { Key, Metadata, MetadataKind, MetaFile, Root, Signature, Snapshot, TargetFile, Targets, Timestamp } = require('@tufjs/models');

const SCHEMES = {
  ed25519: { keytype: 'ed25519', scheme: 'ed25519' },
  ecdsa: { keytype: 'ecdsa', scheme: 'ecdsa-sha2-nistp256' },
  rsa: { keytype: 'rsa', scheme: 'rsassa-pss-sha256' },
};

function newSigner(kind) {
  const { publicKey, privateKey } = kind === 'ed25519' ? crypto.generateKeyPairSync('ed25519')
    : kind === 'rsa' ? crypto.generateKeyPairSync('rsa', { modulusLength: 3072 })
    : crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicValue = kind === 'ed25519'
    ? publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex')
    : publicKey.export({ format: 'pem', type: 'spki' });
  const keyJson = { ...SCHEMES[kind], keyval: { public: publicValue } };
  // TUF spec 4.2: the key id is the SHA-256 of the canonical JSON of the key object.
  const keyID = crypto.createHash('sha256').update(canonicalize(keyJson)).digest('hex');
  const key = new Key({ keyID, keyType: keyJson.keytype, scheme: keyJson.scheme, keyVal: keyJson.keyval });
  const signingKey = kind === 'rsa'
    ? { key: privateKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: crypto.constants.RSA_PSS_SALTLEN_DIGEST }
    : privateKey;
  const sign = (bytes) => new Signature({
    keyID,
    sig: crypto.sign(kind === 'ed25519' ? null : 'sha256', bytes, signingKey).toString('hex'),
  });
  return { key, sign };
}

function expires(days) {
  return new Date(Date.now() + days * 86400000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function write(dir, name, metadata) {
  fs.writeFileSync(path.join(dir, name), JSON.stringify(metadata.toJSON()));
}

function main() {
  const [outDir, mode = 'valid'] = process.argv.slice(2);
  if (!outDir) throw new Error('usage: build-repo.js OUT_DIR [valid|expired]');
  const metadataDir = path.join(outDir, 'metadata');
  const targetsDir = path.join(outDir, 'targets');
  fs.mkdirSync(metadataDir, { recursive: true });
  fs.mkdirSync(targetsDir, { recursive: true });

  const signers = {
    root: newSigner('ed25519'), timestamp: newSigner('ed25519'), snapshot: newSigner('ed25519'),
    targets: newSigner(mode === 'rsa' ? 'rsa' : 'ecdsa'),
  };
  const root = new Metadata(new Root({ version: 1, expires: expires(365), consistentSnapshot: true }));
  for (const [role, signer] of Object.entries(signers)) root.signed.addKey(signer.key, role);
  root.sign(signers.root.sign);

  const content = Buffer.from('firmware built by @tufjs/models\n');
  const sha256 = crypto.createHash('sha256').update(content).digest('hex');
  const sha512 = crypto.createHash('sha512').update(content).digest('hex');
  fs.writeFileSync(path.join(targetsDir, `${sha256}.app.bin`), content);
  fs.writeFileSync(path.join(targetsDir, `${sha512}.app.bin`), content);
  const target = new TargetFile({
    path: 'app.bin', length: content.length, hashes: { sha256, sha512 },
    unrecognizedFields: { custom: { security_version: 3 } },
  });
  let targets = new Metadata(new Targets({ version: 1, expires: expires(90), targets: { 'app.bin': target } }));
  const snapshotMeta = { 'targets.json': new MetaFile({ version: 1 }) };

  if (mode === 'delegated') {
    const security = newSigner('ed25519');
    const patch = Buffer.from('security patch built by @tufjs/models\n');
    const patchSha256 = crypto.createHash('sha256').update(patch).digest('hex');
    fs.mkdirSync(path.join(targetsDir, 'security'), { recursive: true });
    fs.writeFileSync(path.join(targetsDir, 'security', `${patchSha256}.patch.bin`), patch);
    // Delegations are built through the models' own JSON parsing (Delegations is not exported).
    const targetsJson = targets.signed.toJSON();
    targetsJson.delegations = {
      keys: { [security.key.keyID]: security.key.toJSON() },
      roles: [{ name: 'security', keyids: [security.key.keyID], threshold: 1, terminating: true, paths: ['security/*'] }],
    };
    targets = Metadata.fromJSON(MetadataKind.Targets, { signed: targetsJson, signatures: [] });
    const securityRole = new Metadata(new Targets({
      version: 1, expires: expires(30),
      targets: {
        'security/patch.bin': new TargetFile({
          path: 'security/patch.bin', length: patch.length, hashes: { sha256: patchSha256 },
          unrecognizedFields: { custom: { security_version: 5 } },
        }),
      },
    }));
    securityRole.sign(security.sign);
    write(metadataDir, '1.security.json', securityRole);
    snapshotMeta['security.json'] = new MetaFile({ version: 1 });
  }
  targets.sign(signers.targets.sign);

  const snapshot = new Metadata(new Snapshot({ version: 1, expires: expires(7), meta: snapshotMeta }));
  snapshot.sign(signers.snapshot.sign);
  const snapshotBytes = Buffer.from(JSON.stringify(snapshot.toJSON()));

  const timestampExpires = mode === 'expired' ? expires(-1) : expires(1);
  const timestamp = new Metadata(new Timestamp({
    version: 1, expires: timestampExpires,
    snapshotMeta: new MetaFile({
      version: 1, length: snapshotBytes.length, hashes: { sha256: crypto.createHash('sha256').update(snapshotBytes).digest('hex') },
    }),
  }));
  timestamp.sign(signers.timestamp.sign);

  write(metadataDir, '1.root.json', root);
  write(metadataDir, 'root.json', root);
  fs.writeFileSync(path.join(metadataDir, '1.snapshot.json'), snapshotBytes);
  write(metadataDir, '1.targets.json', targets);
  write(metadataDir, 'timestamp.json', timestamp);
  console.log(JSON.stringify({ target: 'app.bin', sha256, length: content.length }));
}

main();
