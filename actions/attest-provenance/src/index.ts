import { attestProvenanceStage } from '@packaging-factory/provenance';
import { runAction } from '../../common/src/run-action.ts';

await runAction(attestProvenanceStage);
