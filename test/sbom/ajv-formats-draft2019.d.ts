// ajv-formats-draft2019 ships no typings: the one call we make, as its README documents it.
declare module 'ajv-formats-draft2019' {
  import type { Ajv } from 'ajv';
  const addFormats: (ajv: Ajv, options?: { formats?: string[] }) => Ajv;
  export default addFormats;
}
