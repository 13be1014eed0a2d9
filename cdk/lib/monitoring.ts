import { Duration } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { StageSettings } from './config';
import { webAclName } from './waf';

/** CloudWatch namespace of the Lambda's EMF metrics (IMAGE_SERVICE_METRICS_NAMESPACE). */
export function metricsNamespace(stage: string): string {
  return `ImageService/${stage}`;
}

/** Values of the EMF `Route` dimension the Lambda emits. */
export const EMF_ROUTES = ['original', 'transform', 'upload', 'delete', 'list', 'health', 'preflight', 'other'] as const;
/** Per-phase time metrics of the EMF `Route` directive (ms). */
export const EMF_PHASES = ['StoreTime', 'DecodeTime', 'OperationsTime', 'EncodeTime'] as const;

const FIVE_MINUTES = Duration.minutes(5);

/** One EMF metric: no dimension = the service total; `Route` or `Code` = one route or error code. */
export function emfMetric(
  stage: string,
  metricName: string,
  statistic: string,
  dimensionsMap: Record<string, string> = {},
  label?: string,
): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace: metricsNamespace(stage), metricName, dimensionsMap, statistic, period: FIVE_MINUTES, label });
}

/** A CloudFront metric: published only in us-east-1, with dimensions DistributionId and Region=Global. */
export function distributionMetric(distributionId: string, metricName: string, statistic: string, label?: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/CloudFront',
    metricName,
    dimensionsMap: { DistributionId: distributionId, Region: 'Global' },
    statistic,
    period: FIVE_MINUTES,
    region: 'us-east-1',
    label,
  });
}

/**
 * The topic alarms notify: the configured one, or one this stack creates (with the stage's
 * e-mail subscriptions) when the stage names none.
 */
export function alarmTopic(scope: Construct, s: StageSettings, topicArn: string | undefined, topicName: string): sns.ITopic {
  if (topicArn) return sns.Topic.fromTopicArn(scope, 'AlarmTopic', topicArn);
  const topic = new sns.Topic(scope, 'AlarmTopic', {
    topicName,
    displayName: `image-service ${s.name} alarms`,
    enforceSSL: true,
  });
  for (const email of s.alarms.emails) topic.addSubscription(new subscriptions.EmailSubscription(email));
  return topic;
}

/** Sends an alarm's ALARM and OK transitions to the topic. */
export function notify(alarm: cloudwatch.Alarm, topic: sns.ITopic): void {
  alarm.addAlarmAction(new cwActions.SnsAction(topic));
  alarm.addOkAction(new cwActions.SnsAction(topic));
}

/** The alarm on the distribution's 5xx error rate; CloudFront metrics exist only in us-east-1. */
export function distribution5xxAlarm(scope: Construct, s: StageSettings, distributionId: string, topic: sns.ITopic): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, 'Distribution5xxRate', {
    alarmDescription: `image-service ${s.name}: CloudFront 5xx error rate >= ${s.alarms.cloudfront5xxRatePercent}% for 10 minutes`,
    metric: distributionMetric(distributionId, '5xxErrorRate', cloudwatch.Stats.AVERAGE),
    threshold: s.alarms.cloudfront5xxRatePercent,
    evaluationPeriods: 2,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  notify(alarm, topic);
  return alarm;
}

export interface ServiceAlarmsProps {
  readonly settings: StageSettings;
  readonly fn: lambda.IFunction;
  readonly topic: sns.ITopic;
}

/**
 * The alarms of the stage region: Lambda errors (crashes, timeouts) and throttles, and from the
 * Lambda's own EMF metrics the responses with status >= 500 and the transform route's p99 latency.
 */
export function serviceAlarms(scope: Construct, props: ServiceAlarmsProps): cloudwatch.Alarm[] {
  const s = props.settings;
  const alarm = (id: string, description: string, metric: cloudwatch.IMetric, threshold: number, evaluationPeriods: number) => {
    const a = new cloudwatch.Alarm(scope, id, {
      alarmDescription: `image-service ${s.name}: ${description}`,
      metric,
      threshold,
      evaluationPeriods,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    notify(a, props.topic);
    return a;
  };
  return [
    alarm('FunctionErrors', `Lambda errors >= ${s.alarms.lambdaErrorsThreshold} in 5 minutes`,
      props.fn.metricErrors({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM }), s.alarms.lambdaErrorsThreshold, 1),
    alarm('FunctionThrottles', 'Lambda throttled in the last 5 minutes',
      props.fn.metricThrottles({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM }), 1, 1),
    alarm('Responses5xx', `responses with status >= 500 (EMF Errors5xx) >= ${s.alarms.errors5xxThreshold} in 5 minutes`,
      emfMetric(s.name, 'Errors5xx', cloudwatch.Stats.SUM), s.alarms.errors5xxThreshold, 1),
    alarm('TransformLatencyP99', `transform p99 latency (EMF Latency, Route=transform) >= ${s.alarms.transformLatencyP99Ms} ms for 15 minutes`,
      emfMetric(s.name, 'Latency', cloudwatch.Stats.p(99), { Route: 'transform' }), s.alarms.transformLatencyP99Ms, 3),
  ];
}

export interface DashboardProps {
  readonly settings: StageSettings;
  readonly fn: lambda.IFunction;
  readonly api: apigw.RestApi;
  readonly distributionId: string;
  readonly functionLogs: logs.ILogGroup;
  readonly alarms: cloudwatch.Alarm[];
}

/** Dashboard name of a stage (the console lists it under CloudWatch > Dashboards). */
export function dashboardName(stage: string): string {
  return `image-service-${stage}`;
}

/**
 * One dashboard per stage, top to bottom: the service as its clients see it (EMF), per route and
 * phase, errors by code, the Lambda, API Gateway, CloudFront (us-east-1 metrics) and the WAF.
 */
export function createDashboard(scope: Construct, props: DashboardProps): cloudwatch.Dashboard {
  const s = props.settings;
  const stage = s.name;
  const width = 8;
  const graph = (title: string, left: cloudwatch.IMetric[], extra: Partial<cloudwatch.GraphWidgetProps> = {}) =>
    new cloudwatch.GraphWidget({ title, left, width, height: 6, ...extra });
  const routes = ['original', 'transform', 'upload', 'delete', 'list'].filter((r) =>
    (r === 'original' || r === 'transform') ? s.routes.includes('get') : s.routes.includes(r as never));

  const dashboard = new cloudwatch.Dashboard(scope, 'Dashboard', {
    dashboardName: dashboardName(stage),
    defaultInterval: Duration.hours(3),
  });
  dashboard.addWidgets(new cloudwatch.TextWidget({
    width: 24,
    height: 2,
    markdown: `# image-service ${stage}\n`
      + `Service metrics come from the Lambda's embedded metric format (namespace \`${metricsNamespace(stage)}\`), one data point per request. `
      + 'CloudFront and WAF metrics are read from us-east-1. See cdk/README.md, "Reading the dashboard".',
  }));
  dashboard.addWidgets(
    graph('Requests and errors (all routes)', [
      emfMetric(stage, 'Requests', 'Sum', {}, 'requests'),
      emfMetric(stage, 'Errors4xx', 'Sum', {}, '4xx'),
      emfMetric(stage, 'Errors5xx', 'Sum', {}, '5xx'),
    ]),
    graph('Latency (all routes, ms)', [
      emfMetric(stage, 'Latency', 'p50', {}, 'p50'),
      emfMetric(stage, 'Latency', 'p99', {}, 'p99'),
    ]),
    new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: props.alarms, width, height: 6 }),
  );
  dashboard.addWidgets(
    graph('p99 latency by route (ms)', routes.map((r) => emfMetric(stage, 'Latency', 'p99', { Route: r }, r))),
    graph('Requests by route', routes.map((r) => emfMetric(stage, 'Requests', 'Sum', { Route: r }, r))),
    graph('Transform phases, p99 (ms)', EMF_PHASES.map((m) => emfMetric(stage, m, 'p99', { Route: 'transform' }, m)), { stacked: true }),
  );
  dashboard.addWidgets(
    graph('Bytes out by route', routes.map((r) => emfMetric(stage, 'BytesOut', 'Sum', { Route: r }, r))),
    graph('Bytes in (uploads)', [emfMetric(stage, 'BytesIn', 'Sum', { Route: 'upload' }, 'upload')]),
    graph('Errors by code', [new cloudwatch.MathExpression({
      expression: `SEARCH('{${metricsNamespace(stage)},Code} MetricName="Errors"', 'Sum', 300)`,
      label: '',
      period: FIVE_MINUTES,
    })]),
  );
  const fn = props.fn;
  const sum = { statistic: 'Sum', period: FIVE_MINUTES };
  const pct = (p: string, label = p) => ({ statistic: p, period: FIVE_MINUTES, label });
  dashboard.addWidgets(
    graph('Lambda invocations, errors, throttles', [fn.metricInvocations(sum), fn.metricErrors(sum), fn.metricThrottles(sum)]),
    graph('Lambda duration (ms)', [fn.metricDuration(pct('p50')), fn.metricDuration(pct('p99'))]),
    graph('Lambda concurrent executions (max)', [
      fn.metric('ConcurrentExecutions', { statistic: 'Maximum', period: FIVE_MINUTES }),
    ], { leftAnnotations: [{ value: s.lambda.reservedConcurrency, label: 'reserved concurrency' }] }),
  );
  const apiStage = props.api.deploymentStage;
  dashboard.addWidgets(
    graph('API Gateway requests, 4xx, 5xx', [apiStage.metricCount(sum), apiStage.metricClientError(sum), apiStage.metricServerError(sum)]),
    graph('API Gateway latency (ms)', [
      apiStage.metricLatency(pct('p50', 'latency p50')),
      apiStage.metricLatency(pct('p99', 'latency p99')),
      apiStage.metricIntegrationLatency(pct('p99', 'integration p99')),
    ]),
    new cloudwatch.LogQueryWidget({
      title: 'Latest 5xx responses (request log lines)',
      logGroupNames: [props.functionLogs.logGroupName],
      queryLines: [
        'fields @timestamp, request_id, method, route, status, code, ms_total',
        'filter msg = "request" and status >= 500',
        'sort @timestamp desc',
        'limit 20',
      ],
      width,
      height: 6,
    }),
  );
  const d = props.distributionId;
  // CloudFront and WAF (CLOUDFRONT scope) publish their metrics only in us-east-1.
  const edgeRegion = { region: 'us-east-1' };
  const edge: cloudwatch.IWidget[] = [
    graph('CloudFront requests (us-east-1)', [distributionMetric(d, 'Requests', 'Sum', 'requests')], edgeRegion),
    graph('CloudFront error rates (%)', [
      distributionMetric(d, '4xxErrorRate', 'Average', '4xx'),
      distributionMetric(d, '5xxErrorRate', 'Average', '5xx'),
      distributionMetric(d, 'TotalErrorRate', 'Average', 'total'),
    ], { ...edgeRegion, leftAnnotations: [{ value: s.alarms.cloudfront5xxRatePercent, label: '5xx alarm' }] }),
  ];
  if (s.cloudfront.additionalMetrics) {
    edge.push(graph('CloudFront cache hit rate and origin latency', [
      distributionMetric(d, 'CacheHitRate', 'Average', 'cache hit rate %'),
    ], { ...edgeRegion, right: [distributionMetric(d, 'OriginLatency', 'p99', 'origin latency p99 (ms)')] }));
  } else {
    edge.push(new cloudwatch.TextWidget({
      width,
      height: 6,
      markdown: '### Cache hit rate\nCloudFront publishes cache hit rate and origin latency only with its additional metrics '
        + '(billed per distribution): set `cloudfront.additionalMetrics` to true for this stage.',
    }));
  }
  dashboard.addWidgets(...edge);
  if (s.cloudfront.waf.enabled) {
    const waf = (metricName: string, rule: string, label: string) => new cloudwatch.Metric({
      namespace: 'AWS/WAFV2',
      metricName,
      dimensionsMap: { WebACL: webAclName(stage), Rule: rule },
      statistic: 'Sum',
      period: FIVE_MINUTES,
      region: 'us-east-1',
      label,
    });
    dashboard.addWidgets(graph('WAF allowed and blocked requests (us-east-1)', [
      waf('AllowedRequests', 'ALL', 'allowed'),
      waf('BlockedRequests', 'ALL', 'blocked'),
      waf('BlockedRequests', `${webAclName(stage)}-rate-limit`, 'blocked by the rate limit'),
    ], { ...edgeRegion, width: 24 }));
  }
  return dashboard;
}
