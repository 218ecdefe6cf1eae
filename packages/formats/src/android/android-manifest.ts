import { FactoryError } from '@packaging-factory/core';
import type { BinaryXmlAttribute, BinaryXmlDocument, BinaryXmlElement } from './binary-xml.ts';
import type { ResourceTable } from './resource-table.ts';
import { formatResourceId, formatResValue } from './res-value.ts';

/**
 * What an APK's AndroidManifest.xml declares (developer.android.com/guide/topics/manifest), read
 * from the compiled tree. android:* attributes are matched by their framework resource id from the
 * resource map, as Android's package parser does (names may be stripped by obfuscators), and by
 * name in the android namespace when a file has no resource map.
 */

export const ANDROID_NAMESPACE = 'http://schemas.android.com/apk/res/android';

/** Framework attribute ids (android.R.attr, frameworks/base/core/res/res/values/public.xml). */
const ATTR = {
  label: 0x01010001,
  icon: 0x01010002,
  name: 0x01010003,
  debuggable: 0x0101000f,
  minSdkVersion: 0x0101020c,
  versionCode: 0x0101021b,
  versionName: 0x0101021c,
  targetSdkVersion: 0x01010270,
  maxSdkVersion: 0x01010271,
  compileSdkVersion: 0x01010572,
  versionCodeMajor: 0x01010576,
} as const;
type AttrName = keyof typeof ATTR;

export interface AndroidManifest {
  /** The application id (`package` attribute of <manifest>). */
  package: string;
  /** android:versionCode, combined with android:versionCodeMajor (high 32 bits) when present. */
  versionCode?: string;
  versionName?: string;
  minSdkVersion?: string;
  targetSdkVersion?: string;
  maxSdkVersion?: string;
  compileSdkVersion?: string;
  /** <uses-permission> and <uses-permission-sdk-23> names, in document order, without repeats. */
  permissions: string[];
  /** <permission> names the app defines. */
  declaredPermissions: string[];
  /** <application android:label>, resolved through resources.arsc when it is a reference. */
  applicationLabel?: string;
  /** <application android:icon> file paths by density, highest first (from resources.arsc). */
  applicationIcons: string[];
  /** Fully qualified <activity> class names ('.Main' → '<package>.Main'). */
  activities: string[];
  services: string[];
  receivers: string[];
  providers: string[];
  /** The activity with a MAIN action and LAUNCHER category, the one a launcher starts. */
  mainActivity?: string;
  debuggable?: boolean;
  /** Attribute references that resources.arsc could not resolve ('application label @0x7f060000'). */
  unresolved: string[];
}

function attribute(element: BinaryXmlElement, name: AttrName): BinaryXmlAttribute | undefined {
  const id = ATTR[name];
  return (
    element.attributes.find((a) => a.resourceId === id) ??
    element.attributes.find((a) => a.resourceId === undefined && a.namespace === ANDROID_NAMESPACE && a.name === name)
  );
}

/**
 * Android's PackageParser.buildClassName: '.Foo' and a bare 'Foo' are relative to the package.
 */
export function qualifyClassName(pkg: string, name: string): string {
  if (name.startsWith('.')) return pkg + name;
  if (!name.includes('.')) return `${pkg}.${name}`;
  return name;
}

function children(element: BinaryXmlElement, name: string): BinaryXmlElement[] {
  return element.children.filter((c) => c.name === name && c.namespace === undefined);
}

function pushUnique(list: string[], value: string | undefined): void {
  if (value !== undefined && value !== '' && !list.includes(value)) list.push(value);
}

/** Reads the manifest fields; `table` resolves @0x7f... references (labels, versionName, icon). */
export function readAndroidManifest(doc: BinaryXmlDocument, table: ResourceTable | undefined, subject: string): AndroidManifest {
  const root = doc.root;
  if (root.name !== 'manifest' || root.namespace !== undefined) {
    throw new FactoryError('ARCHIVE_CORRUPT', `${subject}: the root element is <${root.name}>, not <manifest>`, {
      subject,
      hint: 'the APK does not carry a compiled AndroidManifest.xml; rebuild it with aapt2 or the Android Gradle plugin',
    });
  }
  const unresolved: string[] = [];
  /** Text of an attribute; a reference goes through the resource table. */
  const text = (element: BinaryXmlElement, name: AttrName, what: string): string | undefined => {
    const attr = attribute(element, name);
    if (attr === undefined) return undefined;
    if (attr.value.kind === 'reference') {
      const resolved = table?.resolveText(attr.value.data);
      if (resolved !== undefined) return resolved;
      // Unresolvable (no resources.arsc, or an id it lacks): say so rather than show '@0x7f...' as a name.
      unresolved.push(`${what} ${formatResourceId(attr.value.data)}`);
      return undefined;
    }
    if (attr.value.kind === 'null') return attr.raw;
    return formatResValue(attr.value);
  };

  const pkg = root.attributes.find((a) => a.name === 'package' && a.namespace === undefined);
  const packageName =
    pkg === undefined ? undefined : pkg.value.kind === 'string' ? pkg.value.string : (pkg.raw ?? formatResValue(pkg.value));
  if (packageName === undefined || packageName === '') {
    throw new FactoryError('ARCHIVE_CORRUPT', `${subject}: <manifest> has no package attribute`, {
      subject,
      hint: 'every APK manifest names its application id in <manifest package="...">; rebuild the APK',
    });
  }
  const manifest: AndroidManifest = {
    package: packageName,
    permissions: [],
    declaredPermissions: [],
    applicationIcons: [],
    activities: [],
    services: [],
    receivers: [],
    providers: [],
    unresolved,
  };
  const set = <K extends keyof AndroidManifest>(key: K, value: AndroidManifest[K] | undefined): void => {
    if (value !== undefined) manifest[key] = value;
  };

  const code = text(root, 'versionCode', 'versionCode');
  const major = text(root, 'versionCodeMajor', 'versionCodeMajor');
  // The long version code is versionCodeMajor << 32 | versionCode (PackageInfo.getLongVersionCode).
  if (code !== undefined && major !== undefined && /^-?\d+$/.test(code) && /^\d+$/.test(major) && major !== '0') {
    set('versionCode', ((BigInt(major) << 32n) | (BigInt(code) & 0xffffffffn)).toString());
  } else set('versionCode', code);
  set('versionName', text(root, 'versionName', 'versionName'));
  set('compileSdkVersion', text(root, 'compileSdkVersion', 'compileSdkVersion'));

  const sdk = children(root, 'uses-sdk')[0];
  if (sdk !== undefined) {
    set('minSdkVersion', text(sdk, 'minSdkVersion', 'minSdkVersion'));
    set('targetSdkVersion', text(sdk, 'targetSdkVersion', 'targetSdkVersion'));
    set('maxSdkVersion', text(sdk, 'maxSdkVersion', 'maxSdkVersion'));
  }
  for (const element of [
    ...children(root, 'uses-permission'),
    ...children(root, 'uses-permission-sdk-23'),
    ...children(root, 'uses-permission-sdk-m'),
  ]) {
    pushUnique(manifest.permissions, text(element, 'name', 'uses-permission name'));
  }
  for (const element of children(root, 'permission')) pushUnique(manifest.declaredPermissions, text(element, 'name', 'permission name'));

  const application = children(root, 'application')[0];
  if (application !== undefined) {
    set('applicationLabel', text(application, 'label', 'application label'));
    const icon = attribute(application, 'icon');
    if (icon?.value.kind === 'reference') {
      manifest.applicationIcons = table?.resolveFiles(icon.value.data).map((f) => f.path) ?? [];
      if (manifest.applicationIcons.length === 0) unresolved.push(`application icon ${formatResourceId(icon.value.data)}`);
    } else if (icon?.value.kind === 'string' && icon.value.string !== undefined) manifest.applicationIcons = [icon.value.string];
    const debuggable = attribute(application, 'debuggable');
    if (debuggable?.value.kind === 'boolean') manifest.debuggable = debuggable.value.data !== 0;

    const components: [string, string[]][] = [
      ['activity', manifest.activities],
      ['service', manifest.services],
      ['receiver', manifest.receivers],
      ['provider', manifest.providers],
    ];
    for (const [tag, list] of components) {
      for (const element of children(application, tag)) {
        const name = text(element, 'name', `${tag} name`);
        if (name !== undefined) pushUnique(list, qualifyClassName(packageName, name));
      }
    }
    // The launcher entry point: an <activity> (or <activity-alias>, which names its own class)
    // with an intent filter for MAIN/LAUNCHER.
    for (const element of [...children(application, 'activity'), ...children(application, 'activity-alias')]) {
      const launcher = children(element, 'intent-filter').some(
        (filter) =>
          children(filter, 'action').some((a) => text(a, 'name', 'action name') === 'android.intent.action.MAIN') &&
          children(filter, 'category').some((c) => text(c, 'name', 'category name') === 'android.intent.category.LAUNCHER'),
      );
      const name = text(element, 'name', `${element.name} name`);
      if (launcher && name !== undefined && manifest.mainActivity === undefined)
        manifest.mainActivity = qualifyClassName(packageName, name);
    }
  }
  return manifest;
}
