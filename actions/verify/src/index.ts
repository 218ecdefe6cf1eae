import { verifyStage } from '@packaging-factory/signing';
import { runAction } from '../../common/src/run-action.ts';

await runAction(verifyStage);
