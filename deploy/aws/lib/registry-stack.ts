import { Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { Construct } from 'constructs';

/**
 * The image repository, in a stack of its own: CD pushes the image *before* the application stack is
 * deployed with its tag, so the repository must exist first (and survives the application stack).
 */
export class TaskHubRegistryStack extends Stack {
  readonly repository: ecr.Repository;

  constructor(scope: Construct, id: string, props: StackProps & { repositoryName: string }) {
    super(scope, id, props);
    this.repository = new ecr.Repository(this, 'Repository', {
      repositoryName: props.repositoryName,
      imageScanOnPush: true,
      imageTagMutability: ecr.TagMutability.MUTABLE, // `main` moves; `sha-*` and `v*` tags are never re-pushed
      encryption: ecr.RepositoryEncryption.AES_256,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        { description: 'keep the last 50 commit images', tagPrefixList: ['sha-'], maxImageCount: 50 },
        { description: 'drop untagged images after 14 days', tagStatus: ecr.TagStatus.UNTAGGED, maxImageAge: Duration.days(14) },
      ],
    });
  }
}
