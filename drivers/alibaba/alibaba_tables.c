/*
 * alibaba_tables.c - ECS instance statuses to the common statuses, and
 * Alibaba Cloud error codes to errno.
 *
 * ECS shows "Starting" both right after creation and after StartInstance;
 * the table says Creating, and the engine, which knows a resume is under
 * way, shows Resuming (DESIGN.md section 5).  A deleted instance leaves
 * the listings: get_vm answers -ENOENT and the engine records Terminated.
 */
#include <errno.h>

#include "drivers/alibaba/alibaba_int.h"

const struct drvmap_status alibaba_statuses[] = {
	{ "Pending", DRV_VM_CREATING },
	{ "Starting", DRV_VM_CREATING },
	{ "Running", DRV_VM_RUNNING },
	{ "Stopping", DRV_VM_SUSPENDING },
	{ "Stopped", DRV_VM_SUSPENDED },
	{ "Deleted", DRV_VM_TERMINATED },
	{ NULL, DRV_VM_UNDEFINED },
};

/* First match wins: the specific Invalid*.NotFound codes precede the Invalid* catch-all. */
const struct drvmap_err alibaba_errors[] = {
	/* throttling and service failures: retry */
	{ "Throttling", EAGAIN, true },
	{ "Throttling.*", EAGAIN, true },
	{ "ServiceUnavailable", EAGAIN, true },
	{ "SignatureNonceUsed", EAGAIN, true },	/* a retry carries a fresh nonce */
	{ "InternalError", EIO, true },
	{ "UnknownError", EIO, true },
	{ "OperationDenied.NoStock", EIO, true },
	{ "Zone.NotOnSale", EIO, false },
	/* quotas */
	{ "QuotaExceed*", EDQUOT, false },
	{ "InstanceQuotaExceeded", EDQUOT, false },
	{ "SecurityGroup.QuotaExceeded", EDQUOT, false },
	/* the credential */
	{ "InvalidAccessKeyId.NotFound", EACCES, false },
	{ "InvalidAccessKeyId.Inactive", EACCES, false },
	{ "InvalidAccessKeyId", EACCES, false },
	{ "SignatureDoesNotMatch", EACCES, false },
	{ "IncompleteSignature", EACCES, false },
	{ "InvalidTimeStamp.Expired", EACCES, false },
	{ "Forbidden", EACCES, false },
	{ "Forbidden.*", EACCES, false },
	{ "Account.Arrearage", EACCES, false },
	{ "InvalidAccountStatus.NotEnoughBalance", EACCES, false },
	/* not found */
	{ "InvalidInstanceId.NotFound", ENOENT, false },
	{ "InvalidSecurityGroupId.NotFound", ENOENT, false },
	{ "InvalidKeyPairName.NotFound", ENOENT, false },
	{ "InvalidVpcId.NotFound", EINVAL, false },
	{ "InvalidVSwitchId.NotExist", EINVAL, false },
	/* already there, or busy */
	{ "KeyPair.AlreadyExist", EEXIST, false },
	{ "InvalidPermission.Duplicate", EEXIST, false },
	{ "IncorrectInstanceStatus", EBUSY, false },
	{ "IncorrectInstanceStatus.*", EBUSY, false },
	{ "DependencyViolation", EBUSY, false },
	{ "DependencyViolation.*", EBUSY, false },
	/* the cloud cannot do it */
	{ "InvalidAction", EOPNOTSUPP, false },
	{ "InvalidAction.NotFound", EOPNOTSUPP, false },
	{ "UnsupportedOperation", EOPNOTSUPP, false },
	/* bad parameters: unknown spec or image, inconsistent retry */
	{ "IdempotentParameterMismatch", EINVAL, false },
	{ "MissingParameter", EINVAL, false },
	{ "MissingParameter.*", EINVAL, false },
	{ "Invalid*", EINVAL, false },
	{ NULL, 0, false },
};
