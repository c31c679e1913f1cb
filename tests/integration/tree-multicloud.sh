#!/bin/sh
# One group over the five clouds through the mounted tree: cloudtwin's five
# dialects connected with mkdir and echo (printf) only, each through its
# real driver; a group with a subgroup on every cloud reaches Running; its
# placement names each cloud; suspend, resume, reboot and terminate act on
# all five at once; rmdir; and cloudtwin's inventory of every cloud is empty
# of live baristafs VMs at the end.
set -eu
cd "$(dirname "$0")/../.."
. tests/twin/twin.sh
. tests/drv/drv.sh
. tests/drv/tree.sh
twin_need curl /usr/bin/python3
tree_need_fuse
CLOUDS="aws openstack gcp azure alibaba"
for d in $CLOUDS; do
	[ -f "${BFS_OUT:-.}/drivers/$d.so" ] || drv_fail "driver $d is not built"
done
conf=$(mktemp "${TMPDIR:-/tmp}/multi.XXXXXX.json")
twin_fast_config "$conf"
twin_start --config "$conf"
rm -f "$conf"
trap tree_stop_all EXIT
TREE_MNT=$TWIN_DIR/mnt
TREE_STATE=$TWIN_DIR/state
mkdir -p "$TREE_MNT" "$TREE_STATE"
tree_mount

subs=""
for d in $CLOUDS; do
	twin_get "/_twin/clouds/$d" >"$TWIN_DIR/$d.json"
	DRV_CLOUD=$TWIN_DIR/$d.json
	tree_connect "$d"
	tree_wait_health "$d" ok
	tree_wait_catalog "$d"
	spec=$(ls "$TREE_MNT/clouds/$d/specs" | head -1)
	image=$(ls "$TREE_MNT/clouds/$d/images" | head -1)
	echo "ok: clouds/$d: $(ls "$TREE_MNT/clouds/$d/specs" | wc -l) specs, $(ls "$TREE_MNT/clouds/$d/images" | wc -l) images"
	subs="$subs{\"name\":\"on-$d\",\"count\":2,\"cloud\":\"$d\",\"spec\":\"$spec\",\"image\":\"$image\"},"
done

tree_group multi "{\"subgroups\":[${subs%,}]}"
tree_expect_status multi "Running:10 (R:10/10)"
for d in $CLOUDS; do
	grep -qx "on-$d.cloud $d" "$TREE_MNT/groups/multi/placement" ||
		drv_fail "placement lacks on-$d on $d: $(cat "$TREE_MNT/groups/multi/placement")"
	DRV_NAME=$d
	tree_expect_live 2
done
echo "ok: placement: $(grep '\.cloud ' "$TREE_MNT/groups/multi/placement" | xargs)"
tree_ctl multi suspend "Suspended:10 (R:0/10)"
tree_ctl multi resume "Running:10 (R:10/10)"
tree_ctl multi reboot "Running:10 (R:10/10)"
tree_ctl multi terminate "Terminated:10 (R:0/10)"
rmdir "$TREE_MNT/groups/multi" || drv_fail "rmdir groups/multi"
for d in $CLOUDS; do
	DRV_NAME=$d
	tree_expect_live 0
done
echo "PASS: tree-multicloud"
