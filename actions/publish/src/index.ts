import { publishStage } from '@packaging-factory/publish';
import { runAction } from '../../common/src/run-action.ts';

await runAction(publishStage);
