import { scanStage } from '@packaging-factory/vuln';
import { runAction } from '../../common/src/run-action.ts';

await runAction(scanStage);
