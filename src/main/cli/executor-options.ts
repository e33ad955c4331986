// --executor and the Slurm flags, shared by `annealab run` and `annealab queue executor`: the
// flags become an ExecutorSetting checked by the one schema the UI's route uses too.
import type { Command } from 'commander';
import { EXECUTOR_KINDS, parseExecutorSetting, type ExecutorSetting } from '../../shared/executor';
import { slurmClientMissing } from '../services/executors/slurm-commands';
import { UserError } from './errors';

export interface SlurmFlags {
  partition?: string;
  gres?: string;
  time?: string;
  account?: string;
  sbatchArg?: string[];
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Adds --partition, --gres, --time, --account and --sbatch-arg (repeatable) to a command. */
export function withSlurmFlags(command: Command): Command {
  return command
    .option('--partition <p>', 'Slurm: the partition (queue) to submit to')
    .option('--gres <gres>', 'Slurm: generic resources per run, e.g. gpu:1')
    .option('--time <limit>', 'Slurm: time limit per run, e.g. 1-00:00:00 or 90 (minutes)')
    .option('--account <a>', 'Slurm: the account to charge')
    .option(
      '--sbatch-arg <arg>',
      'Slurm: another sbatch option, written with "=" (--sbatch-arg=--mem=16G); repeatable',
      collect,
    );
}

const FLAG_NAMES: Record<keyof SlurmFlags, string> = {
  partition: '--partition',
  gres: '--gres',
  time: '--time',
  account: '--account',
  sbatchArg: '--sbatch-arg',
};

/**
 * The setting that `kind` and the Slurm flags mean; undefined when neither is given. Bad input is
 * a UserError naming the flag and what it expects.
 */
export function executorFromFlags(
  kind: string | undefined,
  flags: SlurmFlags,
  /** How to name the executor on this command, for the message when only flags were given. */
  howToName = 'add --executor slurm',
): ExecutorSetting | undefined {
  const given = (Object.keys(FLAG_NAMES) as (keyof SlurmFlags)[]).filter((k) => flags[k] !== undefined);
  if (kind === undefined) {
    if (given.length === 0) return undefined;
    throw new UserError(
      `${given.map((k) => FLAG_NAMES[k]).join(', ')} ${given.length === 1 ? 'is a Slurm option' : 'are Slurm options'}: ${howToName}`,
    );
  }
  if (!(EXECUTOR_KINDS as readonly string[]).includes(kind)) {
    throw new UserError(`executor must be ${EXECUTOR_KINDS.join(' or ')}, not "${kind}"`);
  }
  if (kind === 'local') {
    if (given.length > 0) {
      throw new UserError(
        `${given.map((k) => FLAG_NAMES[k]).join(', ')} only apply to the slurm executor, not local`,
      );
    }
    return { kind: 'local' };
  }
  const parsed = parseExecutorSetting({
    kind: 'slurm',
    slurm: {
      partition: flags.partition,
      gres: flags.gres,
      time: flags.time,
      account: flags.account,
      sbatchArgs: flags.sbatchArg ?? [],
    },
  });
  if (!parsed.ok) {
    const flagOf = (path: string) => {
      const key = path.split('.')[1] as keyof SlurmFlags | 'sbatchArgs' | undefined;
      return key === 'sbatchArgs' ? '--sbatch-arg' : key ? FLAG_NAMES[key] : '--executor';
    };
    throw new UserError(parsed.problems.map((p) => `${flagOf(p.path)}: ${p.message}`).join('\n'));
  }
  const missing = slurmClientMissing();
  if (missing) throw new UserError(`--executor slurm: ${missing}`);
  return parsed.setting;
}
