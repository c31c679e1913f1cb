/*
 * aws_tables.c - the aws driver's three tables: EC2 instance states to
 * the common statuses, EC2 error codes to errno, and on-demand prices.
 *
 * EC2's own API has no prices (the Price List service is a separate
 * endpoint in us-east-1 with its own product catalogue), so the driver
 * ships a price table and says where it comes from in every spec's
 * price_source.  Types not in it report an unknown price (< 0).
 */
#include <errno.h>
#include <string.h>

#include "drivers/aws/aws_int.h"

/* clouds.md "Status mapping"; Failed and the intent-driven statuses are decided in aws_status(). */
const struct drvmap_status aws_statuses[] = {
	{ "pending", DRV_VM_CREATING },
	{ "running", DRV_VM_RUNNING },
	{ "stopping", DRV_VM_SUSPENDING },
	{ "stopped", DRV_VM_SUSPENDED },
	{ "shutting-down", DRV_VM_TERMINATING },
	{ "terminated", DRV_VM_TERMINATED },
	{ NULL, DRV_VM_UNDEFINED },
};

/* First match wins: RequestLimitExceeded must precede the *LimitExceeded quota codes. */
const struct drvmap_err aws_errors[] = {
	/* throttling: retry with backoff, then EAGAIN */
	{ "RequestLimitExceeded", EAGAIN, true },
	{ "Throttling", EAGAIN, true },
	{ "ThrottlingException", EAGAIN, true },
	{ "RequestThrottled", EAGAIN, true },
	/* the service failed: retry */
	{ "Unavailable", EIO, true },
	{ "ServiceUnavailable", EIO, true },
	{ "InternalError", EIO, true },
	{ "InternalFailure", EIO, true },
	{ "InsufficientInstanceCapacity", EIO, true },
	{ "InsufficientCapacity", EIO, true },
	/* quotas */
	{ "InstanceLimitExceeded", EDQUOT, false },
	{ "VcpuLimitExceeded", EDQUOT, false },
	{ "MaxSpotInstanceCountExceeded", EDQUOT, false },
	{ "VolumeLimitExceeded", EDQUOT, false },
	{ "ResourceLimitExceeded", EDQUOT, false },
	{ "SecurityGroupLimitExceeded", EDQUOT, false },
	{ "RulesPerSecurityGroupLimitExceeded", EDQUOT, false },
	{ "KeyPairLimitExceeded", EDQUOT, false },
	{ "TagLimitExceeded", EDQUOT, false },
	/* the credential */
	{ "AuthFailure", EACCES, false },
	{ "AuthFailure.*", EACCES, false },
	{ "UnauthorizedOperation", EACCES, false },
	{ "InvalidClientTokenId", EACCES, false },
	{ "SignatureDoesNotMatch", EACCES, false },
	{ "IncompleteSignature", EACCES, false },
	{ "MissingAuthenticationToken", EACCES, false },
	{ "OptInRequired", EACCES, false },
	{ "PendingVerification", EACCES, false },
	{ "Blocked", EACCES, false },
	{ "RequestExpired", EACCES, false },
	{ "ExpiredToken", EACCES, false },
	/* not found */
	{ "InvalidInstanceID.NotFound", ENOENT, false },
	{ "InvalidKeyPair.NotFound", ENOENT, false },
	{ "InvalidGroup.NotFound", ENOENT, false },
	{ "InvalidSubnetID.NotFound", EINVAL, false },
	{ "InvalidVpcID.NotFound", EINVAL, false },
	/* bad parameters: unknown spec or image, inconsistent retry */
	{ "InvalidAMIID.*", EINVAL, false },
	{ "InvalidInstanceID.Malformed", EINVAL, false },
	{ "InvalidInstanceType", EINVAL, false },
	{ "InvalidParameterValue", EINVAL, false },
	{ "InvalidParameterCombination", EINVAL, false },
	{ "InvalidParameter", EINVAL, false },
	{ "MissingParameter", EINVAL, false },
	{ "UnknownParameter", EINVAL, false },
	{ "InvalidAction", EINVAL, false },
	{ "InvalidKeyPair.Format", EINVAL, false },
	{ "InvalidUserData.Malformed", EINVAL, false },
	{ "IdempotentParameterMismatch", EINVAL, false },
	{ "Unsupported", EOPNOTSUPP, false },
	/* already there, or busy */
	{ "InvalidGroup.Duplicate", EEXIST, false },
	{ "InvalidKeyPair.Duplicate", EEXIST, false },
	{ "InvalidPermission.Duplicate", EEXIST, false },
	{ "IncorrectInstanceState", EBUSY, false },
	{ "IncorrectState", EBUSY, false },
	{ "DependencyViolation", EBUSY, false },
	{ NULL, 0, false },
};

#define AWS_PRICE_SOURCE "table: aws.amazon.com/ec2/pricing/on-demand, us-east-1 Linux, 2024-06"

/* On-demand Linux USD per hour in us-east-1; other regions differ by a few percent. */
static const struct {
	const char *type;
	double usd;
} aws_prices[] = {
	{ "t1.micro", 0.02 },	  { "m1.small", 0.044 },   { "m1.medium", 0.087 },
	{ "m1.large", 0.175 },	  { "m1.xlarge", 0.35 },   { "c1.medium", 0.13 },
	{ "t2.nano", 0.0058 },	  { "t2.micro", 0.0116 },  { "t2.small", 0.023 },
	{ "t2.medium", 0.0464 },  { "t2.large", 0.0928 },  { "t2.xlarge", 0.1856 },
	{ "t3.nano", 0.0052 },	  { "t3.micro", 0.0104 },  { "t3.small", 0.0208 },
	{ "t3.medium", 0.0416 },  { "t3.large", 0.0832 },  { "t3.xlarge", 0.1664 },
	{ "t3.2xlarge", 0.3328 }, { "t4g.nano", 0.0042 },  { "t4g.micro", 0.0084 },
	{ "t4g.small", 0.0168 },  { "t4g.medium", 0.0336 }, { "t4g.large", 0.0672 },
	{ "m5.large", 0.096 },	  { "m5.xlarge", 0.192 },  { "m5.2xlarge", 0.384 },
	{ "m5.4xlarge", 0.768 },  { "m6i.large", 0.096 },  { "m6i.xlarge", 0.192 },
	{ "m6g.large", 0.077 },	  { "m6g.xlarge", 0.154 }, { "c5.large", 0.085 },
	{ "c5.xlarge", 0.17 },	  { "c5.2xlarge", 0.34 },  { "c6i.large", 0.085 },
	{ "c6g.large", 0.068 },	  { "r5.large", 0.126 },   { "r5.xlarge", 0.252 },
	{ "r6i.large", 0.126 },	  { "g4dn.xlarge", 0.526 }, { "g5.xlarge", 1.006 },
	{ "p3.2xlarge", 3.06 },
};

double aws_price(const char *type, const char **source)
{
	*source = AWS_PRICE_SOURCE;
	for (size_t i = 0; i < sizeof(aws_prices) / sizeof(aws_prices[0]); i++) {
		if (strcmp(aws_prices[i].type, type) == 0)
			return aws_prices[i].usd;
	}
	*source = "unknown";
	return -1.0;
}
