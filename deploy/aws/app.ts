#!/usr/bin/env node
// The CDK app: `npx cdk synth -c env=production` (or staging). Account: -c account=…, else the one of the
// credentials `cdk deploy` runs with (CDK_DEFAULT_ACCOUNT), else a placeholder that only an offline synth uses.
import { App } from 'aws-cdk-lib';
import { buildApp } from './lib/app';

const app = new App();
buildApp(app, {
  envName: app.node.tryGetContext('env') ?? 'production',
  account: app.node.tryGetContext('account') ?? process.env.CDK_DEFAULT_ACCOUNT,
  region: app.node.tryGetContext('region'),
});
app.synth();
