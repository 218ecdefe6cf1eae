export * from './sandbox.ts';
export * from './overlay-sandbox.ts';
export * from './upper-layer-changes.ts';
export * from './deb-identity.ts';
export * from './detection-command.ts';
export * from './step-log.ts';
export * from './deb-install-check.ts';
export * from './test-install-stage.ts';
