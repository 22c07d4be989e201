// `llm-batch`: the headless entry. Each command lives in its own file and returns an exit code;
// this file only dispatches and turns usage mistakes into exit code 2.
import { runEstimate } from './estimateCommand';
import { UsageError } from './usageError';

const USAGE = `Usage: llm-batch <command> [options]

Commands:
  estimate <file...>   validate JSONL batch files and estimate what they cost
                       [--provider openai|azure|anthropic|gemini|bedrock] [--model M]
                       [--prices FILE] [--output-buffer 0.25] [--workers N] [--json]

Exit codes: 0 valid, 1 invalid lines or file problems (the report is still printed), 2 usage error.`;

const commands: Readonly<Record<string, (args: string[]) => Promise<number>>> = {
  estimate: runEstimate,
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

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`llm-batch: ${error.message}\n\n${USAGE}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`llm-batch: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    }
  },
);
