import { buildPackageStage } from '@packaging-factory/formats';
import { runAction } from '../../common/src/run-action.ts';

await runAction(buildPackageStage);
