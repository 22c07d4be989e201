// Which Azure OpenAI URL style the CLI uses. The dated style is chosen by an api-version: the
// `--api-version` flag, else `OPENAI_API_VERSION`, the variable Azure's docs and the SDK's
// `AzureOpenAI` read beside AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_API_KEY (spec §2.1). Without
// either, the v1 API (`/openai/v1/`).

export function azureApiVersion(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = flag ?? env['OPENAI_API_VERSION'];
  return value !== undefined && value.trim() !== '' ? value.trim() : undefined;
}
