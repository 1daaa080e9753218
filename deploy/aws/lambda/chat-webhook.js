// SNS subscriber: posts CloudWatch alarm notifications to the team chat webhook (Slack-compatible
// {"text": ...}); the URL is the Secrets Manager secret named by WEBHOOK_SECRET_ARN.
const { SecretsManagerClient, GetSecretValueCommand } = require('@aws-sdk/client-secrets-manager');
const sm = new SecretsManagerClient({});
let url;

function describe(message) {
  try {
    const a = JSON.parse(message);
    if (a.AlarmName) return `${a.NewStateValue === 'OK' ? 'OK' : 'ALARM'} ${a.AlarmName}: ${a.NewStateReason}`;
  } catch { /* not an alarm: post as is */ }
  return message;
}

exports.handler = async (event) => {
  url = url || (await sm.send(new GetSecretValueCommand({ SecretId: process.env.WEBHOOK_SECRET_ARN }))).SecretString;
  if (!/^https:\/\//.test(url || '')) throw new Error('the chat webhook secret holds no https URL');
  for (const r of event.Records || []) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: `[TaskHub ${process.env.TASKHUB_ENV}] ${r.Sns.Subject ? r.Sns.Subject + ' ' : ''}${describe(r.Sns.Message)}` }),
    });
    if (!res.ok) throw new Error(`chat webhook answered ${res.status}`);
  }
};
