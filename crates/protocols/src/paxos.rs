//! # Paxos (skeleton: being written)

use caucus_sim::{Ctx, NodeId, Property, Protocol, Scenario};
use serde::{Deserialize, Serialize};

pub const NAME: &str = "paxos";

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Paxos {}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Msg {}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Timer {}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Request {}

impl Protocol for Paxos {
    type Params = Params;
    type Msg = Msg;
    type Timer = Timer;
    type Request = Request;
    type Durable = ();
    const NAME: &'static str = NAME;

    fn init(_ctx: &mut Ctx<'_, Self>, _durable: Option<()>) -> Self {
        Paxos {}
    }
    fn on_message(&mut self, _ctx: &mut Ctx<'_, Self>, _from: NodeId, msg: Msg) {
        match msg {}
    }
    fn on_timer(&mut self, _ctx: &mut Ctx<'_, Self>, timer: Timer) {
        match timer {}
    }
    fn on_request(&mut self, _ctx: &mut Ctx<'_, Self>, request: Request) {
        match request {}
    }
    fn durable(&self) {}
    fn properties() -> Vec<Property<Self>> {
        Vec::new()
    }
}

/// The built-in scenarios of this protocol (listed by `caucus list` and the app's picker).
pub fn scenarios() -> Vec<Scenario> {
    Vec::new()
}
