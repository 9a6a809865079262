/** Pure SDM/UECM helpers: the shapes free5GC's and Open5GS's AMF/SMF read. */
import { expect } from 'chai'
import {
  deregistrationFor,
  orderSmData,
  resourceIdFor,
  sameGuami,
  sdmResourceOf,
  smfSelectDataBothKeys,
  udrResourcesFor,
} from '../../nf/udm/domain/sdm.ts'

describe('UDM SDM domain', () => {
  it('smf-select-data gets both key forms from either stored form', () => {
    for (const key of ['01010203', '1-010203']) {
      const out = smfSelectDataBothKeys({ subscribedSnssaiInfos: { [key]: { dnnInfos: [{ dnn: 'internet' }] } } })
      expect(Object.keys(out.subscribedSnssaiInfos as object).sort()).to.deep.equal(['01010203', '1-010203'])
    }
  })

  it('orders sm-data so the asked slice with the asked DNN is first', () => {
    const list = [
      { singleNssai: { sst: 1 }, dnnConfigurations: { internet: {} } },
      { singleNssai: { sst: 1, sd: '010203' }, dnnConfigurations: { internet: {} } },
      { singleNssai: { sst: 2 }, dnnConfigurations: { internet: {} } },
    ]
    const out = orderSmData(list, { singleNssai: { sst: 1, sd: '010203' }, dnn: 'Internet' })
    expect(out.map((x) => x.singleNssai)).to.deep.equal([{ sst: 1, sd: '010203' }])
    expect(orderSmData(list, { singleNssai: { sst: 1 } })).to.have.length(2)
  })

  it('maps SDM monitored resources to UDR resources and back', () => {
    expect(udrResourcesFor(['imsi-1/am-data', 'http://udm/nudm-sdm/v2/imsi-1/sm-data'], 'imsi-1', '99970')).to.deep.equal([
      '/subscription-data/imsi-1/99970/provisioned-data/am-data',
      '/subscription-data/imsi-1/99970/provisioned-data/sm-data',
    ])
    expect(udrResourcesFor(['imsi-1'], 'imsi-1', '99970')).to.deep.equal(['/subscription-data/imsi-1/99970/provisioned-data'])
    expect(sdmResourceOf('http://udr/nudr-dr/v2/subscription-data/imsi-1/99970/provisioned-data/smf-selection-subscription-data', 'imsi-1')).to.equal('imsi-1/smf-select-data')
    expect(resourceIdFor(['imsi-1/am-data'], 'imsi-1/am-data')).to.equal('imsi-1/am-data')
    expect(resourceIdFor(['http://udm/nudm-sdm/v2/imsi-1/am-data'], 'imsi-1/am-data')).to.equal('imsi-1/am-data')
  })

  it('deregistration data carries accessType; GUAMI compare ignores amfId case', () => {
    expect(deregistrationFor({ initialRegistrationInd: true })).to.deep.equal({ deregReason: 'UE_INITIAL_REGISTRATION', accessType: '3GPP_ACCESS' })
    expect(deregistrationFor({})).to.deep.equal({ deregReason: 'UE_REGISTRATION_AREA_CHANGE', accessType: '3GPP_ACCESS' })
    expect(sameGuami({ plmnId: { mcc: '999', mnc: '70' }, amfId: 'CAFE00' }, { plmnId: { mcc: '999', mnc: '70' }, amfId: 'cafe00' })).to.equal(true)
  })
})
