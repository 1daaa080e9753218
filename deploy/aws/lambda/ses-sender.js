// EventBridge target for TaskHub's EmailRequested events (Email:Transport = eventbridge): sends the email
// through SES. Detail: {idempotencyKey, to: {email, name}, from, subject, text, html, messageId}.
// A throw makes Lambda retry the async invocation, then the event lands in the dead-letter queue.
const { SESv2Client, SendEmailCommand } = require('@aws-sdk/client-sesv2');
const ses = new SESv2Client({});

exports.handler = async (event) => {
  const d = event.detail || {};
  if (!d.to || !d.to.email || !d.subject) throw new Error(`EmailRequested without recipient or subject: ${event.id}`);
  const to = d.to.name ? `"${String(d.to.name).replace(/["\\\r\n]/g, '')}" <${d.to.email}>` : d.to.email;
  const body = {};
  if (d.text) body.Text = { Data: d.text, Charset: 'UTF-8' };
  if (d.html) body.Html = { Data: d.html, Charset: 'UTF-8' };
  await ses.send(new SendEmailCommand({
    FromEmailAddress: process.env.EMAIL_FROM,
    Destination: { ToAddresses: [to] },
    Content: { Simple: { Subject: { Data: d.subject, Charset: 'UTF-8' }, Body: body } },
    EmailTags: [{ Name: 'taskhub_key', Value: String(d.idempotencyKey || event.id).replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 256) }],
  }));
  return { sent: d.idempotencyKey || event.id };
};
