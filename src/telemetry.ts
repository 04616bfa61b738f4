// OpenTelemetry's trace SDK, set up only when OTEL_EXPORTER_OTLP_ENDPOINT is configured: a tracer whose
// spans are batched and sent over OTLP/HTTP. Without it the gateway creates no tracer and installs no
// tracing plugin, so tracing that is off costs nothing. No global provider is registered: the tracer is
// handed to the gateway like the logger and the metrics.
import { type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { type TracingConfig } from './config.js';

export interface Tracing {
  readonly tracer: Tracer;
  /** Sends the spans ended so far. */
  flush(): Promise<void>;
  /** Flushes, then stops exporting; call after the gateway has closed. */
  shutdown(): Promise<void>;
}

export interface TracingOptions extends TracingConfig {
  /** Longest wait between two exports. @default 5000 (the OpenTelemetry default) */
  scheduledDelayMs?: number;
}

const VERSION = '0.1.0';

export function createTracing(options: TracingOptions): Tracing {
  // The spec's rule for the signal-less variable: OTLP/HTTP traces go to <endpoint>/v1/traces.
  const exporter = new OTLPTraceExporter({ url: `${options.endpoint}/v1/traces` });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: options.serviceName,
      [ATTR_SERVICE_VERSION]: VERSION,
    }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: options.scheduledDelayMs })],
  });
  return {
    tracer: provider.getTracer('billwerk-graphql-gateway', VERSION),
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
