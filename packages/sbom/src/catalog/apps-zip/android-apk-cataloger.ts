import { digestFile } from '@packaging-factory/core';
import { readApk, type AndroidManifest, type ApkPackage } from '@packaging-factory/formats';
import { formatPurl, type PurlParts } from '../../purl/package-url.ts';
import { newComponent, type SbomComponent } from '../sbom-component.ts';
import { sortComponent } from './component-order.ts';

/**
 * The Package URL of an Android app.
 *
 * purl-spec registers no Android type: `android` appears only under "Other candidate types to
 * define" (PURL-TYPES.rst) and has no type definition in purl-spec/types, and `apk` is Alpine's
 * (its definition says "not to be confused with Android packages with a .apk extension"). A purl
 * with an unregistered type fails validators that check the type registry, so the registered
 * catch-all `generic` is the best-supported choice ("for plain, generic packages that do not fit
 * anywhere else"). Name: the application id, case kept (Android ids are case-sensitive). Version:
 * versionName, the version users, stores and advisories quote. Qualifier `version_code`: the
 * integer Android itself compares for upgrades; apps reuse a versionName across builds (per-ABI
 * split APKs share one and differ only in versionCode), so without it two distinct APKs would get
 * one ref and be merged. When the manifest has no versionName, the versionCode is the version.
 */
export function androidPurl(manifest: Pick<AndroidManifest, 'package' | 'versionName' | 'versionCode'>): string {
  const parts: PurlParts = { type: 'generic', name: manifest.package };
  const version = manifest.versionName ?? manifest.versionCode;
  if (version !== undefined) parts.version = version;
  if (manifest.versionName !== undefined && manifest.versionCode !== undefined) parts.qualifiers = { version_code: manifest.versionCode };
  return formatPurl(parts);
}

export interface ApkCatalog {
  component: SbomComponent;
  apk: ApkPackage;
  notes: string[];
}

/** One application component for an APK, with its manifest facts as properties. */
export async function catalogApk(file: string, shown: string): Promise<ApkCatalog> {
  const apk = await readApk(file, shown);
  const m = apk.manifest;
  const purl = androidPurl(m);
  const component = newComponent({ ref: purl, purl, type: 'application', ecosystem: 'android', name: m.package });
  const version = m.versionName ?? m.versionCode;
  if (version !== undefined) component.version = version;
  component.hashes.set('SHA-256', await digestFile(file));
  const p = (name: string, value: string | undefined): void => {
    if (value !== undefined && value !== '') component.properties.push([`packaging-factory:android:${name}`, value]);
  };
  component.properties.push(['packaging-factory:source', shown]);
  p('package', m.package);
  p('versionCode', m.versionCode);
  p('versionName', m.versionName);
  p('minSdkVersion', m.minSdkVersion);
  p('targetSdkVersion', m.targetSdkVersion);
  p('maxSdkVersion', m.maxSdkVersion);
  p('compileSdkVersion', m.compileSdkVersion);
  p('label', m.applicationLabel);
  p('mainActivity', m.mainActivity);
  if (m.debuggable === true) p('debuggable', 'true');
  for (const permission of m.permissions) p('permission', permission);
  for (const permission of m.declaredPermissions) p('declaredPermission', permission);
  for (const activity of m.activities) p('activity', activity);
  for (const service of m.services) p('service', service);
  // Presence of signatures, not their validity: apksigner verifies (the sign/verify stages).
  p('signed', apk.signing.schemes.length > 0 ? 'true' : 'false');
  for (const scheme of apk.signing.schemes) p('signatureScheme', scheme);
  for (const signatureFile of apk.signing.v1SignatureFiles) p('v1SignatureFile', signatureFile);
  if (apk.signing.block !== undefined) p('signingBlock', apk.signing.block.entries.join(' '));
  const notes = m.unresolved.map(
    (ref) => `${shown}: the manifest's ${ref} is not in resources.arsc${apk.hasResources ? '' : ' (the APK has none)'}`,
  );
  return { component: sortComponent(component), apk, notes };
}
