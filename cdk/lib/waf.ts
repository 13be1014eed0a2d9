import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { StageSettings } from './config';

/** The web ACL's name (also its CloudWatch metric name, dimension `WebACL`). */
export function webAclName(stage: string): string {
  return `image-service-${stage}`;
}

/**
 * Rules of AWSManagedRulesCommonRuleSet that inspect the request body. Uploads are multipart
 * bodies of binary image data, larger than the 8 KB SizeRestrictions_BODY allows and able to
 * contain any byte pattern: on stages with uploads these rules only count (visible in the WAF
 * metrics and sampled requests); the Lambda checks the upload itself (size, type, decoding).
 */
export const BODY_RULES = [
  'SizeRestrictions_BODY',
  'CrossSiteScripting_BODY',
  'GenericLFI_BODY',
  'GenericRFI_BODY',
  'EC2MetaDataSSRF_BODY',
] as const;

function visibility(metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty {
  return { cloudWatchMetricsEnabled: true, metricName, sampledRequestsEnabled: true };
}

/**
 * A CLOUDFRONT-scope web ACL (the stack holding it must be in us-east-1): a per-IP rate limit,
 * AWS's common rule set and its known-bad-inputs set (Log4j and friends). Everything else is allowed.
 */
export function createWebAcl(scope: Construct, s: StageSettings): wafv2.CfnWebACL {
  if (Stack.of(scope).region !== 'us-east-1') {
    throw new Error(`a CLOUDFRONT-scope web ACL must be created in us-east-1, not ${Stack.of(scope).region}`);
  }
  const uploads = s.routes.includes('upload');
  const name = webAclName(s.name);
  return new wafv2.CfnWebACL(scope, 'WebAcl', {
    name,
    description: `image-service ${s.name}: rate limit per IP, AWS common and known-bad-inputs rules`,
    scope: 'CLOUDFRONT',
    defaultAction: { allow: {} },
    visibilityConfig: visibility(name),
    rules: [
      {
        // First, so a flood is cut before the managed rules are evaluated (and billed).
        name: 'RateLimitPerIp',
        priority: 0,
        action: { block: {} },
        statement: { rateBasedStatement: { limit: s.cloudfront.waf.rateLimit, aggregateKeyType: 'IP' } },
        visibilityConfig: visibility(`${name}-rate-limit`),
      },
      {
        name: 'AWSManagedRulesCommonRuleSet',
        priority: 1,
        overrideAction: { none: {} },
        statement: {
          managedRuleGroupStatement: {
            vendorName: 'AWS',
            name: 'AWSManagedRulesCommonRuleSet',
            ruleActionOverrides: uploads
              ? BODY_RULES.map((rule) => ({ name: rule, actionToUse: { count: {} } }))
              : undefined,
          },
        },
        visibilityConfig: visibility(`${name}-common`),
      },
      {
        name: 'AWSManagedRulesKnownBadInputsRuleSet',
        priority: 2,
        overrideAction: { none: {} },
        statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: 'AWSManagedRulesKnownBadInputsRuleSet' } },
        visibilityConfig: visibility(`${name}-known-bad-inputs`),
      },
    ],
  });
}

export interface EdgeWafStackProps extends StackProps {
  readonly settings: StageSettings;
}

/**
 * The web ACL of a stage whose region is not us-east-1: CloudFront takes web ACLs only from
 * us-east-1, so it lives in this small stack there, deployed before the stage's main stack,
 * which reads its ARN across regions.
 */
export class EdgeWafStack extends Stack {
  public readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: EdgeWafStackProps) {
    const s = props.settings;
    super(scope, id, {
      description: `image-service (${s.name}): WAF web ACL of the CloudFront distribution (CLOUDFRONT scope lives in us-east-1)`,
      ...props,
      env: { account: s.account, region: 'us-east-1' },
      crossRegionReferences: true,
    });
    this.webAcl = createWebAcl(this, s);
    new CfnOutput(this, 'WebAclArn', { value: this.webAcl.attrArn });
  }
}
