// `llm-batch`: the headless entry. Each command lives in its own file and returns an exit code;
// this file only dispatches and turns usage mistakes into exit code 2.
import { LockHeldError } from '../store/workspaceLock';
import { runCancel, runResume, runRetryFailed } from './controlCommands';
import { runEstimate } from './estimateCommand';
import { runImport } from './importCommand';
import { runNotebook } from './notebookCommand';
import { runDeadLetter, runJobs, runStatus } from './inspectCommands';
import { runResults } from './resultsCommand';
import { runSubmit } from './submitCommand';
import { UsageError } from './usageError';
import { runWatch } from './watchCommand';

const USAGE = `Usage: llm-batch <command> [options]

Commands:
  estimate <file...>     validate JSONL batch files and estimate what they cost (sends nothing)
                         [--provider P] [--model M] [--prices FILE] [--output-buffer 0.25] [--workers N]
  submit <file>          estimate, confirm, then submit as batch jobs
                         [--provider P] [--model M] [--yes] [--skip-invalid]
                         [--output-schema FILE] [--output-json] [--daily-budget USD] [--monthly-budget USD]
                         [--region R --bucket B --role-arn ARN] (bedrock) [--project P --location L --bucket B] (vertex)
  jobs                   list the workspace's jobs
  status <job>           a job's state, item counts by state, batches and cost
  watch <job>            resume and follow a job until it ends (retries run automatically)
  results <job>          every item in input order [--out FILE] [--format jsonl|csv]
  retry-failed <job>     resubmit the failed items whose failure is retryable, after showing
                         what it costs at most [--yes] [--daily-budget USD] [--monthly-budget USD]
  dead-letter <job>      items that failed for good, with the reason
  cancel <job>           stop a job's batches (finished work is kept); discards a job never submitted
  resume <job>           go on with a job that waits for you (not submitted, access refused)
                         or was cancelled: its cancelled items are submitted again
  import [batch-id...]   adopt remote batches started elsewhere [--provider P] (+ its settings flags)
  notebook <f.llmbatch>  run a notebook's cells top to bottom (build, try, submit, follow, results),
                         confirming each spend [--yes] [--provider P]; writes the outputs back into it

Providers (P): openai, azure, anthropic, gemini, vertex, bedrock. An OpenAI-style chat file can go
to any of them (it is converted); each provider's own line format works too.
Every command takes --json (one object on stdout) and --workspace DIR (default: this folder).
Job commands take --base-url URL (a gateway or the local emulator), --api-version V (Azure) and
--verbose (each provider call on stderr, never a key or a prompt); a job remembers its provider
and settings, so commands after submit need no provider flags.
Credentials come from the environment, never from flags: OPENAI_API_KEY, AZURE_OPENAI_API_KEY
(+ AZURE_OPENAI_ENDPOINT), ANTHROPIC_API_KEY, GEMINI_API_KEY or GOOGLE_API_KEY, Google's
application default credentials (or GOOGLE_OAUTH_ACCESS_TOKEN) for Vertex AI, and the standard
AWS chain (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, profiles, roles) for Bedrock.

Exit codes: 0 success, 1 invalid input, refusal or a job that ended with failures, 2 usage error.`;

const commands: Readonly<Record<string, (args: string[]) => Promise<number>>> = {
  estimate: runEstimate,
  submit: runSubmit,
  jobs: runJobs,
  status: runStatus,
  watch: runWatch,
  results: runResults,
  'retry-failed': runRetryFailed,
  'dead-letter': runDeadLetter,
  cancel: runCancel,
  resume: runResume,
  import: runImport,
  notebook: runNotebook,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) throw new UsageError(`unknown command "${name}"`);
  return command(rest);
}

// `llm-batch results … | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`llm-batch: ${error.message}\n\n${USAGE}\n`);
      process.exitCode = 2;
    } else if (error instanceof LockHeldError) {
      process.stderr.write(`llm-batch: ${error.message}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`llm-batch: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    }
  },
);
