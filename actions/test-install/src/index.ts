import { testInstallStage } from '@packaging-factory/install-test';
import { runAction } from '../../common/src/run-action.ts';

await runAction(testInstallStage);
