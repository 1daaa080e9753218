import { App } from 'aws-cdk-lib';
import { resolveEnvironment } from './config';
import { TaskHubRegistryStack } from './registry-stack';
import { TaskHubStack } from './taskhub-stack';

export interface AppOptions {
  readonly envName: string;
  readonly account?: string;
  readonly region?: string;
}

/** Both stacks of one environment: TaskHub-<env>-Registry (ECR) and TaskHub-<env> (everything else). */
export function buildApp(app: App, options: AppOptions) {
  const config = resolveEnvironment(options.envName, options.account, options.region);
  const env = { account: config.account, region: config.region };
  const repositoryName = `taskhub-${config.name}`;
  const registry = new TaskHubRegistryStack(app, `TaskHub-${config.name}-Registry`, {
    env, repositoryName, description: `TaskHub ${config.name}: image repository`, analyticsReporting: false,
  });
  const stack = new TaskHubStack(app, `TaskHub-${config.name}`, {
    env, config, repositoryName, description: `TaskHub ${config.name}: the whole production architecture`, analyticsReporting: false,
  });
  stack.addStackDependency(registry);
  return { config, registry, stack };
}
