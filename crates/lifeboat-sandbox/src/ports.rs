use std::net::TcpListener;

use color_eyre::eyre::{Result, WrapErr};

/// Asks the kernel for `count` distinct free ports on 127.0.0.1. All listeners are held until
/// every port is chosen so no port is handed out twice; another program can still take one
/// before etcd binds it, which etcd then reports and `sandbox up` explains.
pub fn free_ports(count: usize) -> Result<Vec<u16>> {
    let listeners = (0..count)
        .map(|_| TcpListener::bind("127.0.0.1:0").wrap_err("finding a free port on 127.0.0.1"))
        .collect::<Result<Vec<_>>>()?;
    listeners
        .iter()
        .map(|l| Ok(l.local_addr().wrap_err("reading a bound port")?.port()))
        .collect()
}
