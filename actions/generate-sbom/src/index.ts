import { generateSbomStage } from '@packaging-factory/sbom';
import { runAction } from '../../common/src/run-action.ts';

await runAction(generateSbomStage);
