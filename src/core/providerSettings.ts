// The non-secret settings that say where a job's batches go (an Azure resource, a Vertex project,
// a Bedrock region and bucket). A job remembers them, so every later command on it needs no
// provider flags; credentials and base URLs are never part of them.

export interface ProviderSettings {
  /** Azure: the resource endpoint; dated API style when apiVersion is set. */
  readonly endpoint?: string | undefined;
  readonly apiVersion?: string | undefined;
  /** Vertex AI: the Google Cloud project and location; Vertex and Bedrock: the bucket staged through. */
  readonly project?: string | undefined;
  readonly location?: string | undefined;
  readonly bucket?: string | undefined;
  /** Bedrock: the AWS region and the service role the batch job runs as. */
  readonly region?: string | undefined;
  readonly roleArn?: string | undefined;
  /** Bedrock: whether records hold InvokeModel bodies (default) or Converse requests. */
  readonly invocationType?: 'InvokeModel' | 'Converse' | undefined;
}
